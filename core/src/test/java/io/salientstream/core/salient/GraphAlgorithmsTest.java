package io.salientstream.core.salient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle removal against networkx, and the influence-domain quirks of spec §2.4 step 6. */
class GraphAlgorithmsTest {

  static DependencyGraph graph(int n, int[][] edges, double[] w) {
    int[] s = new int[edges.length], d = new int[edges.length];
    for (int e = 0; e < edges.length; e++) {
      s[e] = edges[e][0];
      d[e] = edges[e][1];
    }
    return DependencyGraph.fromTriples(n, edges.length, s, d, w.clone());
  }

  @Test
  void cycleRemovalRemovesTheSameEdgesInTheSameOrderAsNetworkx() throws IOException {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("/cycles/networkx-cycles.json")) {
      root = new ObjectMapper().readTree(in);
    }
    int cases = 0, removedTotal = 0;
    for (JsonNode c : root.get("cases")) {
      int n = c.get("n").asInt();
      JsonNode es = c.get("edges");
      int[][] edges = new int[es.size()][];
      double[] w = new double[es.size()];
      for (int e = 0; e < es.size(); e++) {
        edges[e] = new int[] {es.get(e).get(0).asInt(), es.get(e).get(1).asInt()};
        w[e] = es.get(e).get(2).asDouble();
      }
      DependencyGraph g = graph(n, edges, w);
      List<int[]> removed = CycleRemoval.removeCycles(g);
      List<List<Integer>> actual = new ArrayList<>();
      for (int[] r : removed) actual.add(List.of(r[0], r[1]));
      List<List<Integer>> expected = new ArrayList<>();
      for (JsonNode r : c.get("removed")) expected.add(List.of(r.get(0).asInt(), r.get(1).asInt()));
      assertThat(actual).as("case %d", cases).isEqualTo(expected);
      // and what is left is acyclic
      InfluenceDomain.topologicalOrder(g);
      cases++;
      removedTotal += removed.size();
    }
    assertThat(cases).isEqualTo(40);
    assertThat(removedTotal).isGreaterThan(100);
  }

  @Test
  void chainInfluenceReturnsZeroForTheSink() {
    // 0 →(2) 1 →(3) 2 : Inf = [6, 3, 0] before normalisation (spec §2.4 step 6 example)
    DependencyGraph g = graph(3, new int[][] {{0, 1}, {1, 2}}, new double[] {2, 3});
    double[] infl = InfluenceDomain.compute(g, InfluenceDomain.topologicalOrder(g), false);
    assertThat(infl[0]).isCloseTo(6.0 / 9, within(1e-15));
    assertThat(infl[1]).isCloseTo(3.0 / 9, within(1e-15));
    assertThat(infl[2]).isZero();
  }

  @Test
  void noEdgesGivesZeroInfluenceInBothModes() {
    DependencyGraph g = graph(4, new int[0][], new double[0]);
    assertThat(InfluenceDomain.compute(g, InfluenceDomain.topologicalOrder(g), false))
        .containsOnly(0.0);
    assertThat(InfluenceDomain.compute(g, InfluenceDomain.topologicalOrder(g), true))
        .containsOnly(0.0);
  }

  @Test
  void overflowIsNaNInReferenceButFiniteInClean() {
    // A chain of 1100 edges with weight 2: Inf(0) = 2^1100 overflows a double.
    int n = 1101;
    int[][] edges = new int[n - 1][];
    double[] w = new double[n - 1];
    for (int i = 0; i < n - 1; i++) {
      edges[i] = new int[] {i, i + 1};
      w[i] = 2;
    }
    DependencyGraph g = graph(n, edges, w);
    int[] topo = InfluenceDomain.topologicalOrder(g);
    double[] ref = InfluenceDomain.compute(g, topo, false);
    assertThat(ref[0]).isNaN();
    double[] clean = InfluenceDomain.compute(g, topo, true);
    double sum = 0;
    for (double v : clean) {
      assertThat(v).isFinite();
      sum += v;
    }
    assertThat(sum).isCloseTo(1.0, within(1e-9));
    assertThat(clean[0])
        .isCloseTo(0.5, within(1e-9)); // Inf(i) = 2·Inf(i+1): a geometric series, node 0 has half
    assertThat(clean[n - 1]).isZero();
  }
}
