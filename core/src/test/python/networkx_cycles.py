"""Generates core/src/test/resources/cycles/networkx-cycles.json: random weighted digraphs (with self-loops and
2-cycles) and the edges removed when repeatedly deleting the minimum-weight edge of the cycle networkx.find_cycle
returns, as SalientLoRA's reference does for gamma <= 1. Run: python3 networkx_cycles.py > ../resources/cycles/networkx-cycles.json"""
import json
import random

import networkx as nx
import numpy as np

rng = random.Random(7)
cases = []
for case in range(40):
    n = rng.randint(3, 14)
    density = rng.choice([0.15, 0.3, 0.5])
    adj = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if rng.random() < density:
                adj[i, j] = round(rng.uniform(0.5, 3.0), 3)
    g = nx.from_numpy_array(adj, create_using=nx.DiGraph)
    removed = []
    while True:
        try:
            cycle = nx.find_cycle(g, orientation="original")
        except nx.NetworkXNoCycle:
            break
        u, v, _ = min(cycle, key=lambda e: g[e[0]][e[1]]["weight"])
        g.remove_edge(u, v)
        removed.append([u, v])
    edges = [[int(i), int(j), float(adj[i, j])] for i in range(n) for j in range(n) if adj[i, j] != 0]
    cases.append({"n": n, "edges": edges, "removed": removed})
print(json.dumps({"generator": "networkx " + nx.__version__, "cases": cases}))
