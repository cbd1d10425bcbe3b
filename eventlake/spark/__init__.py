"""Spark side of eventlake: the day job's stages as pure functions over DataFrames."""
