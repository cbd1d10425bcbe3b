"""Developer tools: the synthetic-day generator, the capacity planner and the deployer.

Never shipped to AWS.
"""
