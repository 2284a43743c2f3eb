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

"""JUnit XML for CI dashboards: one testcase per timeline.

The seconds of each phase, its deadline and status are properties; a run
that did not heal has a ``failure`` (or, when the run broke rather than
failed, an ``error``) holding the timeline's result text. A negative
scenario that missed the phase it expected to miss passes. A file that
could not be read is a testcase with an ``error`` naming it, so it is not
silently missing from the dashboard.
"""

import os
from xml.etree import ElementTree

from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

SUITE = 'self-healing-recovery'


def _number(value):
    return '' if value is None else '%.3f' % value


def properties(entry):
    """[(name, value)] of one entry, values as text."""
    props = [('scenario', entry.name), ('fault', entry.fault),
             ('verdict', entry.verdict)]
    if len(entry.faults) > 1:
        props.append(('faults', entry.faults_text()))
    if entry.failed_by:
        props.append(('failed_by', entry.failed_by))
    if entry.interrupted_by:
        props.append(('interrupted_by', entry.interrupted_by))
    if entry.repaired:
        props += [('repaired', str(len(entry.repaired))),
                  ('repaired_what', entry.repaired_text())]
    for name in entry.phase_names:
        phase = entry.phase(name)
        props += [('%s_s' % name, _number(phase.seconds)),
                  ('%s_cloud_s' % name, _number(phase.cloud_seconds)),
                  ('%s_deadline_s' % name, _number(phase.deadline)),
                  ('%s_status' % name, phase.status)]
    low, high = entry.clock_offset
    props += [('bands', table.bands_text(entry.bands)),
              ('clock_offset_low_s', _number(low)),
              ('clock_offset_high_s', _number(high))]
    if entry.expect_missed:
        props.append(('expect_missed_phase', entry.expect_missed))
    return props


def hop_properties(entry):
    """[(name, value)]: each phase as reported, each hop and its step.

    ``<phase>_reported_s`` is the cloud's record where it has one (what
    the table shows), ``<phase>_s`` the harness's poll.
    """
    props = [('%s_reported_s' % name, _number(
        entry.phase(name).reported_seconds))
        for name in entry.phase_names]
    for row in entry.hops:
        props += [('hop.%s_s' % row.name, _number(row.seconds)),
                  ('hop.%s_step_s' % row.name, _number(row.step))]
    return props


def _duration(entry):
    """Seconds from the fault to the last thing the timeline saw."""
    times = ([s.t for s in entry.timeline.samples] +
             [m.harness_time for m in entry.timeline.marks])
    if entry.t_fault is None or not times:
        return 0.0
    return max(0.0, max(times) - entry.t_fault)


def _first_line(text, limit=200):
    line = text.splitlines()[0] if text else ''
    return line if len(line) <= limit else line[:limit - 3] + '...'


def _outcome(case, tag, kind, text, message=None):
    """A <failure> or <error> holding ``text``, its first line as message."""
    element = ElementTree.SubElement(
        case, tag, message=_first_line(message or text, 300), type=kind)
    element.text = text


def failure_message(entry, baseline=None):
    """What a failed run's JUnit message says: phase, then slowest hop.

    ``baseline`` ({(scenario, hop): median step s}, from --trend runs)
    names the hop furthest over its median; without one, the slowest.
    """
    parts = []
    if entry.missed_phase:
        parts.append('missed phase %s' % entry.missed_phase)
    mine = dict((hop, step) for (scenario, hop), step in
                (baseline or {}).items() if scenario == entry.name)
    slowest = tls.slowest_hop(entry, mine)
    if slowest is not None:
        row, median = slowest
        text = 'slowest hop %s %.1f s' % (row.name, row.step)
        if median is not None:
            text += ' (baseline median %.1f s)' % median
        parts.append(text)
    head = '; '.join(parts)
    return '%s: %s' % (head, _first_line(entry.result)) if head else (
        _first_line(entry.result))


def document(entries, problems=(), baseline=None):
    """The ElementTree root <testsuites>."""
    root = ElementTree.Element('testsuites')
    suite = ElementTree.SubElement(root, 'testsuite', name=SUITE)
    failures = errors = skipped = 0
    total = 0.0
    for entry in entries:
        seconds = _duration(entry)
        total += seconds
        classname = entry.test_id.split('[', 1)[0].rsplit('.', 1)[0]
        case = ElementTree.SubElement(
            suite, 'testcase', classname=classname, name=entry.name,
            time='%.3f' % seconds)
        props = ElementTree.SubElement(case, 'properties')
        for name, value in properties(entry) + hop_properties(entry):
            ElementTree.SubElement(props, 'property', name=name,
                                   value=value)
        if entry.verdict == tls.FAIL:
            failures += 1
            _outcome(case, 'failure', 'HealingFailure', entry.result,
                     message=failure_message(entry, baseline))
        elif entry.verdict == tls.INTERRUPTED:
            # A <skipped>, not an error: see the statistics' note below.
            skipped += 1
            ElementTree.SubElement(case, 'skipped', message=_first_line(
                table.interrupted_text(entry)))
        elif entry.verdict == tls.ERROR:
            errors += 1
            _outcome(case, 'error', 'HealingError', entry.result)
        elif entry.verdict == tls.EXPECTED:
            ElementTree.SubElement(case, 'system-out').text = entry.result
    for problem in problems:
        errors += 1
        case = ElementTree.SubElement(
            suite, 'testcase', classname=SUITE,
            name='read %s' % os.path.basename(problem.split(': ', 1)[0]),
            time='0.000')
        _outcome(case, 'error', 'TimelineFileError', problem)
    suite.set('tests', str(len(entries) + len(problems)))
    suite.set('failures', str(failures))
    suite.set('errors', str(errors))
    suite.set('skipped', str(skipped))
    suite.set('time', '%.3f' % total)
    return root


def to_bytes(entries, problems=(), baseline=None):
    """The XML document, UTF-8 encoded, with its declaration."""
    root = document(entries, problems, baseline)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding='utf-8',
                                xml_declaration=True) + b'\n'


# -- the statistics (issue 18): verdicts, score, coverage, interrupted ---
#
# An interrupted run (timeline verdict ``interrupted``) is a <skipped>
# testcase whose message says so, not a failure or an error: it measured
# nothing about healing, so it must neither fail the cloud nor pass as
# healed, and CI dashboards count skipped testcases apart. Its property
# ``verdict`` is ``INTERRUPTED``.

def _set_property(case, name, value):
    props = case.find('properties')
    if props is None:
        props = ElementTree.SubElement(case, 'properties')
    for prop in props.findall('property'):
        if prop.get('name') == name:
            prop.set('value', value)
            return
    ElementTree.SubElement(props, 'property', name=name, value=value)


def _mark_interrupted(suite, case, entry):
    for tag, counter in (('failure', 'failures'), ('error', 'errors')):
        for element in case.findall(tag):
            case.remove(element)
            suite.set(counter, str(int(suite.get(counter)) - 1))
    if case.find('skipped') is None:
        ElementTree.SubElement(case, 'skipped', message=_first_line(
            table.interrupted_text(entry)))
        suite.set('skipped', str(int(suite.get('skipped', '0')) + 1))
    _set_property(case, 'verdict', table.INTERRUPTED)


def add_statistics(root, entries, analysis):
    """Per testcase its score and verdicts; the suite: scores, coverage.
    """
    suite = root.find('testsuite')
    cases = suite.findall('testcase')[:len(entries)]
    suite.set('skipped', suite.get('skipped', '0'))
    comparison = analysis.comparison
    for case, entry in zip(cases, entries):
        if table.is_interrupted(entry):
            _mark_interrupted(suite, case, entry)
        value = analysis.scorer.entry_score(entry)
        _set_property(case, 'score', _number(value))
        _set_property(case, 'flow', analysis.scorer.flow(entry) or '')
        if comparison is not None:
            for name, text in comparison.properties(entry.name):
                _set_property(case, name, text)
            _set_property(case, 'slowest_hop_vs_baseline',
                          comparison.slowest_hop_text(entry.name))
    props = suite.find('properties')
    if props is None:
        props = ElementTree.Element('properties')
        suite.insert(0, props)
    summary = [('score_%s' % k.replace(' ', '_'), _number(v))
               for k, v in sorted(analysis.scores.items())]
    passed, failed, interrupted = table.counts(entries)
    summary += [('timelines_passed', str(passed)),
                ('timelines_not_passed', str(failed)),
                ('timelines_interrupted', str(interrupted))]
    summary += analysis.matrix.properties()
    if comparison is not None:
        for subject in [s for s in analysis.run.values
                        if s not in set(e.name for e in entries)]:
            summary += [('%s_%s' % (subject.replace(' ', '_'), n), v)
                        for n, v in comparison.properties(subject)]
        summary += [('verdicts_%s' % k.replace(' ', '_'), str(n))
                    for k, n in sorted(comparison.counts().items())]
    for name, value in summary:
        ElementTree.SubElement(props, 'property', name=name, value=value)
    return root


def summary_bytes(entries, problems, analysis, baseline=None):
    """``to_bytes`` with the statistics added (``cli.Analysis``)."""
    root = add_statistics(document(entries, problems, baseline), entries,
                          analysis)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding='utf-8',
                                xml_declaration=True) + b'\n'
