"""A small JSON file under the base dir recording what is already done."""
import json
import os


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


def mark(lay, key, value=True):
    data = load(lay)
    data[key] = value
    save(lay, data)


def done(lay, key):
    return bool(load(lay).get(key))
