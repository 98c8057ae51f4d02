"""ticklake maintenance as an Airflow DAG: compact >> models_run >> models_test >> vacuum.

Each task runs one ticklake command. Nothing about the deployment is written
here: the binary is $TICKLAKE_BIN (default: `ticklake` on the PATH), and
ticklake itself reads every setting -- lake path, S3 endpoint and keys, models
project, warehouse, vacuum retention... -- from its TICKLAKE_* environment
variables or from the ticklake.yml named by $TICKLAKE_CONFIG, exactly as on
the command line (`ticklake compact --help` lists them). So the same DAG file
serves every deployment; give the workers the environment.

The DAG's own knobs come from the environment too (read when the DAG is
parsed):
  TICKLAKE_AIRFLOW_SCHEDULE      cron expression or preset (default: @hourly)
  TICKLAKE_AIRFLOW_RETRIES       retries per task (default: 2)
  TICKLAKE_AIRFLOW_RETRY_DELAY   wait before a retry: 90, 90s, 5m, 1h (default: 5m)
  TICKLAKE_AIRFLOW_TASK_TIMEOUT  a task running longer fails (default: 1h)
  TICKLAKE_WORKDIR               the tasks' working directory (where relative
                                 paths such as models.project resolve; default:
                                 a temporary folder of Airflow's)

A failed compaction fails the run: the models are not built from a lake that
could not be maintained, and ticklake's own error message is in the task log.
Runs never overlap (max_active_runs=1) and missed intervals are not replayed
(catchup=False): every run works on the lake's current snapshot anyway.
"""

from __future__ import annotations

import os
import re
import shlex
from datetime import datetime, timedelta, timezone

try:  # Airflow 3
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.bash import BashOperator


def _duration(name: str, default: str) -> timedelta:
    text = os.environ.get(name, default).strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?", text)
    if not m:
        raise ValueError(f"{name}={text!r}: not a duration (e.g. 90, 90s, 5m, 1h)")
    unit = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return timedelta(seconds=float(m.group(1)) * unit)


def _int(name: str, default: int) -> int:
    text = os.environ.get(name, str(default)).strip()
    if not text.isdigit():
        raise ValueError(f"{name}={text!r}: not a non-negative integer")
    return int(text)


TICKLAKE = shlex.quote(os.environ.get("TICKLAKE_BIN", "ticklake"))

default_args = {
    "owner": "ticklake",
    "retries": _int("TICKLAKE_AIRFLOW_RETRIES", 2),
    "retry_delay": _duration("TICKLAKE_AIRFLOW_RETRY_DELAY", "5m"),
    "execution_timeout": _duration("TICKLAKE_AIRFLOW_TASK_TIMEOUT", "1h"),
}

with DAG(
    dag_id="ticklake",
    description="ticklake lake maintenance: compaction, dbt-style models and their tests, vacuum",
    schedule=os.environ.get("TICKLAKE_AIRFLOW_SCHEDULE", "@hourly"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["ticklake"],
    doc_md=__doc__,
) as dag:

    def ticklake(task_id: str, args: str, doc: str) -> BashOperator:
        # env=None: the command inherits the worker's environment, so every
        # TICKLAKE_* and AWS_* variable reaches ticklake unchanged.
        return BashOperator(
            task_id=task_id,
            bash_command=f"exec {TICKLAKE} {args}",
            cwd=os.environ.get("TICKLAKE_WORKDIR") or None,
            doc_md=doc,
        )

    compact = ticklake("compact", "compact", "Rewrite small files into large sorted ones (`ticklake compact`).")
    models_run = ticklake("models_run", "models run", "Build the models (`ticklake models run`).")
    models_test = ticklake("models_test", "models test", "Run the models' tests (`ticklake models test`).")
    vacuum = ticklake("vacuum", "vacuum", "Delete files no snapshot needs (`ticklake vacuum`).")

    compact >> models_run >> models_test >> vacuum
