"""A firewall twin's jobs: the boot-time AutoCom, commits, validations and HA-Sync installs, one
commit or validation at a time as on PAN-OS, and `show jobs` as PAN-OS renders a job."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from .configstore import ConfigStore, commit_problems
from .counters import Counters
from .errors import ApiError

# A commit requested while the boot-time AutoCom runs. PAN-OS 7.1+ queues commits behind one
# another, but Palo Alto's maintainers call commits that fail before the autocommit completes
# expected (pan-os-ansible#19); the lab refuses them with PAN-OS's commit-in-progress answer,
# the conservative reading.
COMMIT_BUSY = "Another commit/validate is in progress. Please try again later"
AUTOCOMMIT_DETAILS = ["Configuration committed successfully", "Successfully committed last configuration"]


@dataclass
class Job:
    id: int
    kind: str  # Commit, AutoCom, HA-Sync: the <type> PAN-OS shows
    user: str
    queued: float
    status: str = "PEND"  # PEND (waiting for its turn), ACT, FIN
    result: str = "PEND"  # PEND, OK, FAIL
    progress: int = 0
    started: Optional[float] = None
    finished: Optional[float] = None
    details: List[str] = field(default_factory=list)
    description: str = ""
    waiting: bool = False  # queued behind another job

    def finish(self, result: str, details: List[str]) -> None:
        self.result, self.details, self.progress = result, details, 100
        self.status, self.finished = "FIN", time.time()


def _stamp(epoch: Optional[float]) -> str:
    return time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(epoch)) if epoch else ""


def _clock(epoch: Optional[float]) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else ""


@dataclass
class JobContext:
    """What the jobs need of their firewall: its name (for thread names), timings, faults, whom
    to tell about a commit that changed the running configuration, and about any finished job."""

    name: str
    seconds: Callable[[str], float]
    take_fault: Callable[[str], Optional[dict]]
    stalled: Callable[[], bool]
    is_up: Callable[[], bool]
    committed: Callable[[], None]
    changed: Callable[[], None]


class Jobs:
    def __init__(self, store: ConfigStore, counters: Counters, context: JobContext) -> None:
        self.store = store
        self.counters = counters
        self.context = context
        self._lock = threading.RLock()
        self._jobs: Dict[int, Job] = {}
        self._next = 1
        # One commit or validation at a time, as on PAN-OS: a commit waits for the one before it.
        self._slot = threading.Lock()

    def all(self) -> List[Job]:
        """Newest first, as `show jobs all` lists them."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda job: -job.id)

    def get(self, job_id: int) -> Optional[Job]:
        with self._lock:
            return self._jobs.get(job_id)

    def reset(self) -> None:
        """A boot or a management-server restart: job ids start again at 1."""
        with self._lock:
            self._jobs.clear()
            self._next = 1

    def _new(self, kind: str, user: str, description: str = "") -> Job:
        with self._lock:
            job = Job(self._next, kind, user, time.time(), description=description)
            self._jobs[job.id] = job
            self._next += 1
            return job

    def _take_slot(self, job: Job) -> None:
        """Wait for the jobs before this one; PAN-OS shows such a job as PEND and queued."""
        if not self._slot.acquire(blocking=False):
            job.waiting = True
            self._slot.acquire()
            job.waiting = False
        job.status, job.started = "ACT", time.time()

    def _thread(self, target: Callable[[], None], kind: str, job: Job) -> None:
        threading.Thread(target=target, daemon=True, name=f"{kind}-{self.context.name}-{job.id}").start()

    # ---- the boot-time commit ----------------------------------------------------------------
    def start_autocommit(self) -> None:
        # Commits and validations are refused while it runs (commit()), so it needs no job slot.
        job = self._new("AutoCom", user="")
        job.status, job.started = "ACT", job.queued

    def autocommit(self) -> Optional[Job]:
        job = self.get(1)
        return job if job is not None and job.kind == "AutoCom" else None

    def autocommit_running(self) -> bool:
        job = self.autocommit()
        return job is not None and job.status != "FIN"

    def abandon_autocommit(self) -> None:
        """The firewall went down before its AutoCom finished (PAN-OS lists it with no result)."""
        if self.autocommit_running():
            self.autocommit().status = "FIN"  # type: ignore[union-attr]

    def finish_autocommit(self) -> None:
        if self.autocommit_running():
            self.autocommit().finish("OK", list(AUTOCOMMIT_DETAILS))  # type: ignore[union-attr]

    # ---- commits and validations ---------------------------------------------------------------
    def commit(self, source: str, user: str = "admin", description: str = "") -> Optional[int]:
        """Queue a commit job; None when there is nothing to commit. Raises ApiError while the
        boot-time AutoCom has not finished."""
        if self.autocommit_running():
            self.counters.incr("commits.refused_during_autocommit")
            raise ApiError(13, COMMIT_BUSY)
        if not self.store.pending_changes():
            return None
        job = self._new("Commit", user, description)
        self.counters.incr("commits")
        self.counters.incr(f"commits.{source}")
        self._thread(lambda: self._run_commit(job), "commit", job)
        return job.id

    def _run_commit(self, job: Job) -> None:
        self._take_slot(job)
        try:
            snapshot = self.store.candidate_config()
            self._progress(job, self.context.seconds("commit"), 5)
            failure = self.context.take_fault("commit-fail")
            problems = [failure["message"]] if failure else commit_problems(snapshot)
            if problems:
                job.finish("FAIL", problems + ["Commit failed"])
            else:
                self.store.install_running(snapshot)
                job.finish("OK", ["Configuration committed successfully"])
            self.counters.event("commit", job=job.id, result=job.result)
        finally:
            self._slot.release()
        if job.result == "OK":
            self.context.committed()
        self.context.changed()

    @staticmethod
    def _progress(job: Job, duration: float, steps: int, start: int = 0, end: int = 100) -> None:
        for step in range(steps):
            time.sleep(duration / steps)
            job.progress = start + int((end - start) * (step + 1) / steps) - 1

    def validate(self) -> int:
        """`validate full`: a Validate job that checks the candidate as a commit would, and applies nothing."""
        if self.autocommit_running():
            raise ApiError(13, COMMIT_BUSY)
        job = self._new("Validate", "admin")

        def run() -> None:
            self._take_slot(job)
            try:
                time.sleep(self.context.seconds("commit") / 2)
                problems = commit_problems(self.store.candidate_config())
                job.finish("FAIL" if problems else "OK",
                           (["Validation Error:"] + problems) if problems else ["Configuration is valid"])
            finally:
                self._slot.release()

        self._thread(run, "validate", job)
        return job.id

    def commit_and_wait(self, source: str = "cli", timeout: float = 600) -> Tuple[bool, List[str], Optional[int]]:
        """(succeeded, messages, job id) of a commit; job id None when there was nothing to commit."""
        job_id = self.commit(source)
        if job_id is None:
            return True, ["There are no changes to commit."], None
        deadline = time.time() + timeout
        job = self._jobs[job_id]
        while job.status != "FIN" and time.time() < deadline:
            time.sleep(0.05)
        return job.result == "OK", list(job.details), job_id

    # ---- HA-Sync ---------------------------------------------------------------------------
    def ha_sync(self, config: ET.Element, source: str, done: Callable[[], None]) -> int:
        """The peer's running configuration arrives (a commit on the peer, or its sync-to-remote):
        an HA-Sync job installs it after the profile's ha_sync time, then calls done()."""
        job = self._new("HA-Sync", user="", description=f"running configuration from {source}")

        def run() -> None:
            job.status, job.started = "ACT", time.time()
            duration, steps = self.context.seconds("ha_sync"), 4
            for step in range(steps):
                time.sleep(duration / steps)
                job.progress = int(100 * (step + 1) / steps) - 1
                if not self.context.is_up():
                    job.finish("FAIL", ["HA synchronization failed: the firewall went down"])
                    return
            self.store.install_synced(config)
            self.counters.incr("ha_sync_applied")
            self.context.changed()
            job.finish("OK", ["Configuration committed successfully"])
            self.counters.event("ha_sync_job", job=job.id, result="OK")
            done()

        self._thread(run, "ha-sync", job)
        return job.id

    # ---- downloads and installs -------------------------------------------------------------
    def background(self, kind: str, description: str, duration: float, fault: str,
                   work: Callable[[], List[str]]) -> int:
        """A job that runs beside commits (a download, a software or content install): its progress
        climbs over `duration`, then `work` does what it stands for and gives its detail lines. The
        lab's fault `fault` makes it fail instead, and so does the firewall going down meanwhile; its
        fault job-stall holds it halfway, still active, for as long as it is set."""
        job = self._new(kind, "admin", description)

        def run() -> None:
            job.status, job.started = "ACT", time.time()
            self._progress(job, duration / 2, 5, end=50)
            while self.context.stalled() and self.context.is_up():
                time.sleep(0.1)
            self._progress(job, duration / 2, 5, start=50)
            failure = self.context.take_fault(fault)
            if not self.context.is_up():
                job.finish("FAIL", ["The firewall went down before the job finished"])
            elif failure:
                job.finish("FAIL", [failure["message"]])
            else:
                try:
                    job.finish("OK", work())
                except ApiError as error:
                    job.finish("FAIL", [error.message])
            self.counters.event("job", kind=kind, job=job.id, result=job.result)
            self.context.changed()

        self._thread(run, kind.lower(), job)
        return job.id

    # ---- show jobs -------------------------------------------------------------------------
    @staticmethod
    def xml(job: Job) -> ET.Element:
        """A <job> as `show jobs` gives it: an active job has tfin `Still Active` and its (empty)
        warnings before its details; a finished one the other way round."""
        element = ET.Element("job")
        finished = job.status == "FIN"
        position = 1 if job.waiting else 0
        for tag, value in (("tenq", _stamp(job.queued)), ("tdeq", _clock(job.started or job.queued)), ("id", str(job.id)),
                           ("user", job.user), ("type", job.kind), ("status", job.status),
                           ("queued", "YES" if job.waiting else "NO"),
                           ("stoppable", "yes" if job.status == "ACT" and job.progress < 99 and job.kind == "Commit" else "no"),
                           ("result", job.result), ("tfin", _stamp(job.finished) if finished else "Still Active"),
                           ("description", job.description), ("positionInQ", str(position)), ("progress", str(job.progress))):
            ET.SubElement(element, tag).text = value
        for section in ("details", "warnings") if finished else ("warnings", "details"):
            holder = ET.SubElement(element, section)
            if section == "details":
                for line in job.details:
                    ET.SubElement(holder, "line").text = line
        return element
