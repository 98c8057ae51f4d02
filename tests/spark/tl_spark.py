"""One local Spark session with Delta Lake for the Spark interop tests.

The jars come from scripts/jars spark (TL_SPARK_JARS: the folder), pyspark and
delta-spark from scripts/pyenv spark; nothing is downloaded here. With
MOTO_URL (and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) set, s3a:// goes to
that S3 server with path-style requests.

Spark starts slowly on 2 cores: a test file builds one session and uses it for
every check. Small settings: local[2], no UI, few shuffle partitions.
"""
import csv
import glob
import io
import os
import subprocess
import sys
import time
from decimal import Decimal

from pyspark.sql import SparkSession


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


_T0 = time.monotonic()


def ok(msg):
    print(f"ok: {msg} [{time.monotonic() - _T0:.0f} s]", file=sys.stderr, flush=True)


def expect_eq(name, got, want):
    if got != want:
        fail(f"{name}: got {got!r}, want {want!r}")
    ok(f"{name} = {got!r}")


def session(app, extra=None):
    jar_dir = os.environ.get("TL_SPARK_JARS")
    if not jar_dir or not os.path.isdir(jar_dir):
        fail("TL_SPARK_JARS must name the folder of Delta's jars (scripts/jars spark)")
    jars = sorted(glob.glob(os.path.join(jar_dir, "*.jar")))
    if not any(os.path.basename(j).startswith("delta-spark_") for j in jars):
        fail(f"no delta-spark jar in {jar_dir}")
    tmp = os.environ.get("WORK", "/tmp")
    b = (
        SparkSession.builder.appName(app)
        .master("local[2]")
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.adaptive.enabled", "false")  # plain plans: scan metrics are read from them
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        # a short-lived JVM: the C1 compiler only, one GC thread
        .config("spark.driver.extraJavaOptions",
                "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        # Delta's defaults are sized for clusters: 50 partitions for log
        # replay and 10000 listing tasks in VACUUM make a tiny table crawl
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", "2")
        .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
        .config("spark.local.dir", os.path.join(tmp, "spark-local"))
        .config("spark.sql.warehouse.dir", os.path.join(tmp, "spark-warehouse"))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
    )
    moto = os.environ.get("MOTO_URL")
    if moto:
        b = (
            b.config("spark.hadoop.fs.s3a.endpoint", moto)
            .config("spark.hadoop.fs.s3a.endpoint.region", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
            .config("spark.hadoop.fs.s3a.path.style.access", "true")
            .config("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
            .config("spark.hadoop.fs.s3a.access.key", os.environ["AWS_ACCESS_KEY_ID"])
            .config("spark.hadoop.fs.s3a.secret.key", os.environ["AWS_SECRET_ACCESS_KEY"])
            .config("spark.hadoop.fs.s3a.aws.credentials.provider",
                    "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
            .config("spark.hadoop.fs.s3a.change.detection.mode", "none")
        )
    for k, v in (extra or {}).items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def ticklake(*args, check=True):
    """Run the ticklake binary ($TICKLAKE); its stdout as text."""
    exe = os.environ.get("TICKLAKE")
    if not exe:
        fail("TICKLAKE must name the ticklake binary")
    r = subprocess.run([exe, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        fail(f"ticklake {' '.join(args[:3])} ... exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r


def tl_query(lake, sql):
    """Rows of `ticklake query --format csv` as lists of strings (NULL -> '')."""
    out = ticklake("query", "--lake", lake, "--format", "csv", sql).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return [list(r) for r in rows[1:]]


def norm(v):
    """A Spark value as ticklake's CSV prints it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return str(v)
    return str(v)


def spark_rows(spark, sql):
    return [[norm(v) for v in r] for r in spark.sql(sql).collect()]


def compare(spark, lake, name, duck_sql, spark_sql=None):
    """The same figures from ticklake query (DuckDB over ticklake's snapshot)
    and from Spark over the Delta table; fail on any difference."""
    want = tl_query(lake, duck_sql)
    got = spark_rows(spark, spark_sql or duck_sql)
    if got != want:
        diff = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w][:5]
        fail(f"{name}: Spark and ticklake differ ({len(got)} vs {len(want)} rows; first "
             f"differences (row, spark, ticklake): {diff})")
    ok(f"{name}: Spark = ticklake ({len(got)} rows{': ' + ','.join(got[0]) if len(got) == 1 else ''})")
    return got


def scanned_files(df):
    """Run df: its rows and the number of files its Parquet scans read (the
    scans' numFiles metric: after Delta's partition pruning and data skipping)."""
    rows = df.collect()
    plan = df._jdf.queryExecution().executedPlan()
    leaves = plan.collectLeaves()
    n, scans = 0, 0
    for i in range(leaves.size()):
        m = leaves.apply(i).metrics()
        if m.contains("numFiles"):
            scans += 1
            n += m.apply("numFiles").value()
    if scans == 0:
        fail("no file scan in the plan: " + plan.toString())
    return rows, n
