"""A synthetic hospital information system (HIS) for rehearsals, tests and benchmarks.

Its schema is shaped like a domestic HIS, not like the national tables: its own table and
column names, local department, drug, specimen and lab item codes. ``build_day`` fills one day
of activity; ``LiveActivity`` keeps adding events in real time for the demo.
"""

from hisbridge.simulators.his.build import BuildReport, build_day
from hisbridge.simulators.his.changes import apply_corrections
from hisbridge.simulators.his.group import COUNTY_GROUP, HisGroup
from hisbridge.simulators.his.live import LiveActivity
from hisbridge.simulators.his.schema import his_metadata

__all__ = ["COUNTY_GROUP", "BuildReport", "HisGroup", "LiveActivity", "apply_corrections",
           "build_day", "his_metadata"]
