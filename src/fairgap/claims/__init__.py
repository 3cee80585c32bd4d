"""The claims each notebook ends with, computed from its results: one module per notebook family.

Every function here takes a results table and returns ``fairgap.evidence.claims_table([...])``:
columns claim, statistic, estimate, lower, upper, n, verdict ("shown" when the 95% bootstrap
interval over seeds excludes the null).
"""
