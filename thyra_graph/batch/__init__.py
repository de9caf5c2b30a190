"""Batch runs: one run of a graph per input, in this process, a process pool, or on Ray."""

from .inputs import BatchError, BatchInput, read_inputs
from .plan import BatchJob, plan_batch
from .runner import BatchResult, run_batch
from .worker import InputResult

__all__ = ["BatchError", "BatchInput", "BatchJob", "BatchResult", "InputResult", "plan_batch", "read_inputs", "run_batch"]
