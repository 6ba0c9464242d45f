package io.salientstream.core.salient;

import java.util.Arrays;

/**
 * A growable list of edge triples (src, dst, weight) in primitive arrays; one per worker thread.
 */
final class EdgeBuffer {
  int size;
  int[] src = new int[1024];
  int[] dst = new int[1024];
  double[] w = new double[1024];

  void add(int s, int d, double weight) {
    if (size == src.length) {
      int cap = src.length * 2;
      src = Arrays.copyOf(src, cap);
      dst = Arrays.copyOf(dst, cap);
      w = Arrays.copyOf(w, cap);
    }
    src[size] = s;
    dst[size] = d;
    w[size] = weight;
    size++;
  }

  static DependencyGraph merge(int n, EdgeBuffer[] buffers) {
    long total = 0;
    for (EdgeBuffer b : buffers) total += b.size;
    if (total > Integer.MAX_VALUE - 16)
      throw new IllegalStateException("dependency graph: too many edges: " + total);
    int count = (int) total;
    int[] s = new int[count];
    int[] d = new int[count];
    double[] ww = new double[count];
    int p = 0;
    for (EdgeBuffer b : buffers) {
      System.arraycopy(b.src, 0, s, p, b.size);
      System.arraycopy(b.dst, 0, d, p, b.size);
      System.arraycopy(b.w, 0, ww, p, b.size);
      p += b.size;
    }
    return DependencyGraph.fromTriples(n, count, s, d, ww);
  }
}
