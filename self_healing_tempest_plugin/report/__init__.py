# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Recovery report over the healing harness's timeline files.

    self-healing-report DIR [--html OUT.html] [--junit OUT.xml]
                            [--png-dir PNGS/] [--trend RUN_DIR ...]
                            [--deadlines D,A,R] [--data OUT.json]
                            [--baseline RUN ...] [--scenario-dir DIR]
                            [--min-seconds S] [--min-percent PCT]
                            [--min-score X] [--alpha A]
                            [--family metric|report]
    (or: python -m self_healing_tempest_plugin.report ...)

DIR is one run's [self_healing] timeline_dir. On stdout: the run table
(scenario, faults, the seconds from the first fault to each phase the
runs observed -- detect, act, any extra one, recover -- against their
deadlines, verdict, health band sequence, harness minus cloud clock), then
with --trend the MTTD/MTTR per scenario over the runs. --html writes one
self-contained page (table, PNGs embedded as base64, trend); --junit one
testcase per timeline with the times as properties; --png-dir a timeline
picture per scenario and trend.png. A missing or malformed file is named
on stderr and the rest is still produced; ``--help`` lists the exit codes.

Also (issue 18): the resilience score (score.py) and the flow x fault
coverage matrix (coverage.py) of the run; with baselines (``--baseline``:
earlier run directories or the report-data JSON that ``--data`` writes)
a statistical verdict per scenario and metric (trend.py, stats.py);
interrupted runs counted apart. README.rst's report section has the
formulas.

The pictures (--png-dir, and those in --html) need matplotlib, which the
plugin itself does not: ``pip install
'self-healing-tempest-plugin[report]'``. It is imported only
when pictures are drawn; without it the tables, HTML and JUnit are still
written. Tempest never imports this package (it is not under ``tests``).
"""
