"""The course domain: the Course aggregate, its events and value objects. Pure: no I/O."""
