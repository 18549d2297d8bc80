"""A throwaway fourth business, a car wash, enabled only by tests/integration/test_fourth_business.py.

It is the worked example of a new business module: nothing in ``modules/core/`` knows it, and it
needs no edit there. Read ``module.py`` first."""
