"""Split the answers evaluation set once into dev and held-out halves.

Reads all.yml (the combined, labelled set) next to this script and writes
dev.yml and heldout.yml. Stratified by (origin, whether the first question is
covered by a fact); each stratum is shuffled with random.Random(20261202) and
halved. This was run once before any tuning; all.yml was then deleted so the
two halves are the only copy. Do not re-split.
"""
import collections
import pathlib
import random

import yaml

SEED = 20261202
HERE = pathlib.Path(__file__).resolve().parent

HEADERS = {
    'dev': '# Answers evaluation set, DEVELOPMENT half: tune the assistant on this half only.\n',
    'heldout': '# Answers evaluation set, HELD-OUT half: never tune on it, never read it while tuning.\n',
}
COMMON = ('# Each message lists the questions it asks, in order; a question is answered by any one\n'
          '# of its facts (ids in facts/facts.yml) or is not covered by the source article.\n'
          '# How the set was made and labelled: README.md. Split by split.py (seed 20261202).\n')


def stratum(message):
    first = message['questions'][0]
    return (message['origin'], 'covered' if 'facts' in first else 'not_covered')


def split(messages, seed=SEED):
    rng = random.Random(seed)
    groups = collections.defaultdict(list)
    for m in messages:
        groups[stratum(m)].append(m)
    halves = {'dev': [], 'heldout': []}
    extra_to = 'dev'  # odd-sized strata give their extra message alternately
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda m: m['id'])
        rng.shuffle(group)
        cut = len(group) // 2
        if len(group) % 2:
            if extra_to == 'dev':
                cut += 1
            extra_to = 'heldout' if extra_to == 'dev' else 'dev'
        halves['dev'].extend(group[:cut])
        halves['heldout'].extend(group[cut:])
    for name in halves:
        halves[name].sort(key=lambda m: m['id'])
    return halves


def main():
    messages = yaml.safe_load((HERE / 'all.yml').read_text(encoding='utf-8'))['messages']
    for name, part in split(messages).items():
        with open(HERE / f'{name}.yml', 'w', encoding='utf-8') as f:
            f.write(HEADERS[name] + COMMON)
            yaml.safe_dump({'messages': part}, f, sort_keys=False, allow_unicode=True, width=100)
        print(name, len(part))


if __name__ == '__main__':
    main()
