"""AWS Glue (PySpark): the nightly day job's stages as functions over DataFrames, and the job.

The Glue --extra-py-files zip ships eventlake.core and this package, nothing else.
"""
