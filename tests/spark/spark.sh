# Sourced by the Spark interop tests (after lib.sh): spark_env sets SPARK_PY
# (the python of the pinned 'spark' venv, scripts/pyenv spark) and exports
# TL_SPARK_JARS (Delta's pinned jars, scripts/jars spark) and PYTHONPATH for
# tests/spark/tl_spark.py. A missing tool fails the test: the project's
# scripts install them (scripts/bootstrap), so CI always has them.
spark_env() {
  command -v java > /dev/null || fail "java is required for Spark (Java 17)"
  local venv
  venv=$("$TL_SOURCE_DIR/scripts/pyenv" spark) || fail "cannot set up the pinned Spark venv (scripts/pyenv spark)"
  SPARK_PY=$venv/bin/python
  TL_SPARK_JARS=$("$TL_SOURCE_DIR/scripts/jars" spark) || fail "cannot resolve Delta's jars (scripts/jars spark)"
  export TL_SPARK_JARS TICKLAKE WORK
  export PYTHONPATH=$TL_SOURCE_DIR/tests/spark${PYTHONPATH:+:$PYTHONPATH}
  # pyspark finds java on PATH; keep Spark's scratch inside the test's folder
  export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS=$WORK/spark-local
}
