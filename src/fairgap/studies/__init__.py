"""One module per notebook, named like it: its profile table (``SCALE`` and ``scale(profile)``, or its
own profile settings), its run calls, its result tables, its claims and its prose. ``fairgap.plots`` has a
figure module of the same name. The shared machinery (data, models, fairness, train, sweep, profiles,
evidence, generalisation, claims, classical_fits, ...) sits below and never imports a study.
"""
