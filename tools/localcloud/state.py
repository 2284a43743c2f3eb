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

"""A small JSON file under the base dir recording what is already done."""
import json
import os
import threading

_LOCK = threading.Lock()


def load(lay):
    try:
        with open(lay.state_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save(lay, data):
    os.makedirs(os.path.dirname(lay.state_file), exist_ok=True)
    tmp = lay.state_file + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, lay.state_file)


def update(lay, change):
    """Load, ``change(data)`` in place, save; safe across threads."""
    with _LOCK:
        data = load(lay)
        change(data)
        save(lay, data)


def mark(lay, key, value=True):
    update(lay, lambda data: data.__setitem__(key, value))


def done(lay, key):
    return bool(load(lay).get(key))
