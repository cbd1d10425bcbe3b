"""`python -m eventlake.dayjob --run_date D --raw_uri ...`: the Glue job on local Spark."""

import sys

from eventlake.dayjob.entry import run_locally

run_locally(sys.argv[1:])
