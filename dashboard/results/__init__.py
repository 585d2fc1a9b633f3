"""The results layer: one way from data to every figure (pages, the command line and the tests)."""

from dashboard.results import drills, runner
from dashboard.results.catalog import DRILLS, RESULTS, Column, Result
from dashboard.results.runner import ResultError, call, health_config, run, tier_rule
from dashboard.results.scope import Scope, ScopeError

__all__ = ["drills", "DRILLS", "RESULTS", "Column", "Result", "ResultError", "Scope", "call", "runner", "ScopeError", "health_config", "run", "tier_rule"]
