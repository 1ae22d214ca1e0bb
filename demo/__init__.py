"""The synthetic demo cohort: import lines shaped like the VIVE midterm data.

`generate(size, seed)` yields the lines; `AS_OF`, `FIRST_DAY` and `PROGRAMME`
say when and where the cohort lives; `course_id_for` names a referral's course.
"""

from demo.cohort import AS_OF, FIRST_DAY, PROGRAMME, course_id_for, generate

__all__ = ["AS_OF", "FIRST_DAY", "PROGRAMME", "course_id_for", "generate"]
