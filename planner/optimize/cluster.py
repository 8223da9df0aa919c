"""Store problems on a Dask distributed cluster: `[solver] cluster = "tcp://scheduler:8786"` or `planner run --cluster`.

A ClusterPool is a StorePool whose tasks go to the cluster through the Dask client's concurrent.futures
executor (`Client.get_executor`): each task is one store's ModelInputs and its time budget, the result
its StoreSolve; the POS data, the profiles and the chain steps (core repair, chain model, baselines)
stay in this process. The workers need the planner installed: the task is sent by name (`workers._in_worker`,
as to a local worker). Budgets count the cluster's worker threads as workers, read once when the pool connects.

A worker that dies is Dask's to handle first: the scheduler gives its task to another worker. A task
that has killed `distributed.scheduler.allowed-failures` workers comes back as KilledWorker, a
scheduler that goes away closes the connection, and a task not back within twice its time budget and
ANSWER_SECONDS is given up: those stores are solved here, one after another, as the stores of a broken
local pool are, so a misbehaving cluster cannot hold the run for long past its limit.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool

from planner.errors import SolverError
from planner.optimize.workers import StorePool

CONNECT_SECONDS = 10.0  # to reach the scheduler, and then for its first worker to join
ANSWER_SECONDS = 60.0  # past twice its budget, a store task is given up this much later and solved here
INSTALL_HINT = "pip install 'planner[cluster]' (Dask distributed) here and on every worker"


class ClusterPool(StorePool):
    """Solves batches of store tasks on the workers of the Dask scheduler at `address`."""

    remote = True
    answer_seconds = ANSWER_SECONDS

    def __init__(self, address: str, say: Callable[[str], None]) -> None:
        try:
            from distributed import Client
            from distributed.comm import CommClosedError
            from distributed.scheduler import KilledWorker
        except ImportError as exc:
            msg = f"[solver] cluster = '{address}' needs Dask distributed, which is not installed: {INSTALL_HINT}"
            raise SolverError(msg) from exc
        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            msg = (f"[solver] cluster = '{address}': no Dask scheduler answers there ({exc}); "
                   "start one (dask scheduler) or leave [solver] cluster empty to solve on this machine")
            raise SolverError(msg) from exc
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError as exc:
            client.close()
            msg = f"[solver] cluster = '{address}': the scheduler has no workers (start them with: dask worker {address})"
            raise SolverError(msg) from exc
        super().__init__(sum(client.nthreads().values()), say)
        self.address = address
        self.lost_errors = (BrokenProcessPool, KilledWorker, CommClosedError, CancelledError)
        self._client = client

    @property
    def description(self) -> str:
        return f"{self.workers} workers of the Dask cluster at {self.address}"

    @property
    def up(self) -> bool:
        return True  # the workers are there (wait_for_workers): every store goes to them

    def start(self) -> None:
        if self._executor is None:
            self._executor = self._client.get_executor(pure=False)  # each task runs, none is taken from a cache

    def close(self) -> None:
        """Stop sending tasks; the connection stays open for the next batch until the pool is left."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        self._executor = None

    def __exit__(self, *_exc: object) -> None:
        self.close()
        self._client.close()
