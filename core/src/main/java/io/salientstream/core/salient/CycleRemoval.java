package io.salientstream.core.salient;

import java.util.ArrayList;
import java.util.List;

/**
 * Cycle removal as in the reference (spec §2.4 step 5): repeatedly find a directed cycle exactly as
 * networkx {@code find_cycle(G, orientation="original")} would, and delete its minimum-weight edge
 * (the first one in cycle order among equal weights, like Python's {@code min}). Needed only when γ
 * ≤ 1; for γ &gt; 1 the graph is acyclic.
 *
 * <p><b>Traversal order replicated.</b> Start nodes 0..N−1; from each start not yet explored, an
 * edge-DFS whose per-node edge iterators run in increasing destination order and persist for the
 * whole start (a node reached again continues its iterator). The active path is maintained with
 * networkx's backtracking rule, including its reset to {tail} when the path empties. Edges whose
 * head was explored from an earlier start are skipped; the DFS below such a head is skipped as
 * well, which is exact because explored sets are closed under reachability and networkx ignores
 * every edge found there.
 *
 * <p>Cost: O(N + E) per found cycle, O(C·(N + E)) overall for C removed edges.
 */
final class CycleRemoval {
  private final DependencyGraph g;
  private final int n;
  private final int[] explored; // stamp == exploredStamp: explored in this find
  private final int[] visited; // stamp == startStamp: visited by the edge-DFS of this start
  private final int[] iterPos; // next edge position of a visited node
  private final int[] seen; // stamp == startStamp: in 'seen' of this start
  private final boolean[] active;
  private final int[] activeList;
  private int activeSize;
  private int exploredStamp;
  private int startStamp;
  private final int[] stack;
  private final int[] path; // edge ids on the active path
  private final int[] pathTail; // tail node of each path edge
  private final int[] seenList;

  private CycleRemoval(DependencyGraph g) {
    this.g = g;
    this.n = g.n;
    explored = new int[n];
    visited = new int[n];
    iterPos = new int[n];
    seen = new int[n];
    active = new boolean[n];
    activeList = new int[g.dst.length + n + 2];
    stack = new int[g.dst.length + 1];
    path = new int[g.dst.length + 1];
    pathTail = new int[g.dst.length + 1];
    seenList = new int[n];
  }

  /**
   * Removes cycles from {@code g} in place; returns the removed edges as {@code [src, dst]} in
   * removal order.
   */
  static List<int[]> removeCycles(DependencyGraph g) {
    CycleRemoval cr = new CycleRemoval(g);
    List<int[]> removed = new ArrayList<>();
    int[] cycle;
    while ((cycle = cr.findCycle()) != null) {
      int best = cycle[0];
      for (int e : cycle) if (g.weight[e] < g.weight[best]) best = e;
      g.remove(best);
      removed.add(new int[] {g.source(best), g.dst[best]});
    }
    return removed;
  }

  private void clearActive() {
    for (int k = 0; k < activeSize; k++) active[activeList[k]] = false;
    activeSize = 0;
  }

  private void activate(int v) {
    active[v] = true;
    activeList[activeSize++] = v;
  }

  /** One networkx find_cycle; the cycle's edge ids in order, or null if acyclic. */
  int[] findCycle() {
    exploredStamp++;
    for (int start = 0; start < n; start++) {
      if (explored[start] == exploredStamp) continue;
      startStamp++;
      int pathLen = 0;
      clearActive();
      activate(start);
      seen[start] = startStamp;
      int seenCount = 0;
      seenList[seenCount++] = start;
      int prevHead = -1;
      int sp = 0;
      stack[sp++] = start;
      while (sp > 0) {
        int cur = stack[sp - 1];
        if (visited[cur] != startStamp) {
          visited[cur] = startStamp;
          iterPos[cur] = g.rowStart[cur];
        }
        int e = iterPos[cur];
        int end = g.rowStart[cur + 1];
        while (e < end && g.removed[e]) e++;
        if (e >= end) {
          iterPos[cur] = end;
          sp--;
          continue;
        }
        iterPos[cur] = e + 1;
        int head = g.dst[e];
        // --- find_cycle's processing of the yielded edge (cur -> head) ---
        if (explored[head] == exploredStamp) continue; // and do not descend (exact, see class doc)
        stack[sp++] = head;
        int tail = cur;
        if (prevHead != -1 && tail != prevHead) {
          while (true) {
            if (pathLen == 0) {
              clearActive();
              activate(tail);
              break;
            }
            int popped = path[--pathLen];
            active[g.dst[popped]] = false;
            if (pathLen > 0 && g.dst[path[pathLen - 1]] == tail) break;
          }
        }
        pathTail[pathLen] = tail;
        path[pathLen++] = e;
        if (active[head]) {
          int from = 0;
          for (int k = 0; k < pathLen; k++) {
            if (pathTail[k] == head) {
              from = k;
              break;
            }
          }
          int[] cycle = new int[pathLen - from];
          System.arraycopy(path, from, cycle, 0, cycle.length);
          return cycle;
        }
        if (seen[head] != startStamp) {
          seen[head] = startStamp;
          seenList[seenCount++] = head;
        }
        activate(head);
        prevHead = head;
      }
      for (int k = 0; k < seenCount; k++) explored[seenList[k]] = exploredStamp;
    }
    return null;
  }
}
