"""The results layer: one way from data to every figure (pages, the command line and the tests)."""

from dashboard.results import runner
from dashboard.results.catalog import RESULTS, Column, Result
from dashboard.results.runner import ResultError, call, health_config, run, tier_rule
from dashboard.results.scope import Scope, ScopeError

__all__ = ["RESULTS", "Column", "Result", "ResultError", "Scope", "call", "runner", "ScopeError", "health_config", "run", "tier_rule"]
