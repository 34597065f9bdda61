"""What changes the world: gates, cutover, rollback, ramp, batches, triggers, jobs."""
