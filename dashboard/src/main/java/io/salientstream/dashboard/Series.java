package io.salientstream.dashboard;

import java.util.Arrays;
import java.util.List;

/**
 * A bounded (step, value) series for a curve. At most {@code capacity} points are kept: when it is
 * full, the older half is thinned to every second point, so recent points keep full resolution and
 * old ones are downsampled — memory stays bounded however long a run goes. Points must arrive in
 * step order; a point at or before the last step replaces nothing and is dropped (a replayed or
 * duplicate event). The one exception is a curve's starting point, which comes from another topic
 * than the points after it and so may be read after them: {@link #addFirst} puts it in front.
 */
final class Series {

  private final int capacity;
  private long[] steps;
  private double[] values;
  private int size;

  Series(int capacity) {
    if (capacity < 4) {
      throw new IllegalArgumentException("series capacity must be >= 4, got " + capacity);
    }
    this.capacity = capacity;
    this.steps = new long[Math.min(capacity, 64)];
    this.values = new double[steps.length];
  }

  /** Appends a point; returns false when it was dropped (not after the last step). */
  synchronized boolean add(long step, double value) {
    if (size > 0 && step <= steps[size - 1]) {
      return false;
    }
    makeRoom();
    steps[size] = step;
    values[size] = value;
    size++;
    return true;
  }

  /**
   * Puts a point in front of all others (a curve's starting point read after later points); returns
   * false when it was dropped because a point at or before that step is already there.
   */
  synchronized boolean addFirst(long step, double value) {
    if (size > 0 && steps[0] <= step) {
      return false;
    }
    makeRoom();
    System.arraycopy(steps, 0, steps, 1, size);
    System.arraycopy(values, 0, values, 1, size);
    steps[0] = step;
    values[0] = value;
    size++;
    return true;
  }

  /** Room for one more point: thins the older half when full, grows the arrays up to capacity. */
  private void makeRoom() {
    if (size == capacity) {
      thinOlderHalf();
    }
    if (size == steps.length) {
      int n = Math.min(capacity, steps.length * 2);
      steps = Arrays.copyOf(steps, n);
      values = Arrays.copyOf(values, n);
    }
  }

  private void thinOlderHalf() {
    int half = size / 2;
    int w = 0;
    for (int r = 0; r < half; r += 2) {
      steps[w] = steps[r];
      values[w] = values[r];
      w++;
    }
    for (int r = half; r < size; r++) {
      steps[w] = steps[r];
      values[w] = values[r];
      w++;
    }
    size = w;
  }

  /** Drops every point. */
  synchronized void clear() {
    size = 0;
  }

  synchronized int size() {
    return size;
  }

  synchronized long lastStep() {
    return size == 0 ? -1 : steps[size - 1];
  }

  synchronized double lastValue() {
    return size == 0 ? Double.NaN : values[size - 1];
  }

  /**
   * The last {@code max} points as {@code [[steps...], [values...]]} (the column layout the page's
   * chart library takes); non-finite values become null.
   */
  synchronized List<List<Object>> columns(int max) {
    int from = Math.max(0, size - max);
    Object[] s = new Object[size - from];
    Object[] v = new Object[size - from];
    for (int i = from; i < size; i++) {
      s[i - from] = steps[i];
      v[i - from] = Double.isFinite(values[i]) ? values[i] : null;
    }
    return List.of(Arrays.asList(s), Arrays.asList(v));
  }
}
