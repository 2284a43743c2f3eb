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
    for name, _ in tls.PHASE_MARKS:
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
        for name, _ in tls.PHASE_MARKS]
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
    failures = errors = 0
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
            errors += 1
            _outcome(case, 'error', 'HealingInterrupted', entry.result)
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
    suite.set('time', '%.3f' % total)
    return root


def to_bytes(entries, problems=(), baseline=None):
    """The XML document, UTF-8 encoded, with its declaration."""
    root = document(entries, problems, baseline)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding='utf-8',
                                xml_declaration=True) + b'\n'
