"""The healing harness: faults with undo, a recovery timeline, invariants,
deadlines and declarative scenarios. See run.HealingRun for the engine a
scenario test drives."""
