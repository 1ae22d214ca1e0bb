"""Workflow: the state machine and the application service that executes commands."""
