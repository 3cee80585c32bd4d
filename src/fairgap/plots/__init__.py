"""One function per figure; each returns (figure, the tidy table it draws) for ``fairgap.figures.save_figure``.

One module per notebook, named like its study (``fairgap.studies``): ``f0_classical`` ... ``f8_capacity_family``;
``common`` and ``sweep_figures`` hold what several share. A notebook imports its own module.
"""
