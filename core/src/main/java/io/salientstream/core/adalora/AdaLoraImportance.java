package io.salientstream.core.adalora;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.BinaryState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * AdaLoRA's per-entry importance (spec {@code algorithms.md} §3.2; AdaLoRA paper Eq. 9–13), kept by
 * the trainer that owns the gradients.
 *
 * <p>For every adapter entry w of P (d_out × r), Λ (r) and Q (r × d_in) of every matrix, each step
 * the host passes the sensitivity {@code I_t(w) = |w · ∂L/∂w|} (gradient of the full loss, taken
 * after {@code optimizer.step()} and before {@code zero_grad()}). This class keeps two exponential
 * moving averages per entry:
 *
 * <pre>
 *   Ī_t = β1·Ī_{t−1} + (1−β1)·I_t                 (smoothed sensitivity, Ī_0 = 0)
 *   Ū_t = β2·Ū_{t−1} + (1−β2)·|I_t − Ī_t|          (uncertainty, uses the updated Ī_t)
 *   s(w) = Ī_t(w) · Ū_t(w)                          (entry score)
 * </pre>
 *
 * and combines them into one score per triplet (k, i):
 *
 * <pre>
 *   S_{k,i} = ( s(λ_{k,i}) + mean_j s(Q_k[i,j]) ) + mean_j s(P_k[j,i])
 * </pre>
 *
 * in exactly that order of additions; each mean sums j = 0, 1, … in increasing order in double and
 * divides once. The triplet scores go to {@link AdaLoraPolicy} through {@code
 * StepInput.tripletScores}.
 *
 * <p>Array layouts (row-major): P as {@code p[j*r + i]} for row j ∈ [0,d_out), column i ∈ [0,r); Λ
 * as {@code lambda[i]}; Q as {@code q[i*d_in + j]}. The rank r is the layout's {@code initialRank}.
 */
public final class AdaLoraImportance {
  private final AdapterLayout layout;
  private final double beta1;
  private final double beta2;

  /** Per matrix k: EMA arrays for P, Λ, Q (sensitivity) and the same for uncertainty. */
  private final double[][] ipP, ipL, ipQ, unP, unL, unQ;

  private long updates;

  /**
   * @param beta1 smoothing of the sensitivity EMA (peft default 0.85)
   * @param beta2 smoothing of the uncertainty EMA (peft default 0.85)
   */
  public AdaLoraImportance(AdapterLayout layout, double beta1, double beta2) {
    if (!(beta1 >= 0 && beta1 < 1))
      throw new IllegalArgumentException(
          "adalora importance: beta1 must be in [0,1), got " + beta1);
    if (!(beta2 >= 0 && beta2 < 1))
      throw new IllegalArgumentException(
          "adalora importance: beta2 must be in [0,1), got " + beta2);
    this.layout = layout;
    this.beta1 = beta1;
    this.beta2 = beta2;
    int m = layout.size();
    ipP = new double[m][];
    ipL = new double[m][];
    ipQ = new double[m][];
    unP = new double[m][];
    unL = new double[m][];
    unQ = new double[m][];
    for (int k = 0; k < m; k++) {
      AdapterLayout.Matrix mx = layout.matrix(k);
      int r = mx.initialRank();
      ipP[k] = new double[mx.dOut() * r];
      unP[k] = new double[mx.dOut() * r];
      ipL[k] = new double[r];
      unL[k] = new double[r];
      ipQ[k] = new double[r * mx.dIn()];
      unQ[k] = new double[r * mx.dIn()];
    }
  }

  /** With peft's defaults β1 = β2 = 0.85. */
  public AdaLoraImportance(AdapterLayout layout) {
    this(layout, 0.85, 0.85);
  }

  /**
   * Updates the EMAs of matrix k with this step's sensitivities. Values are passed through {@code
   * Math.abs}, so either {@code |w·g|} or {@code w·g} may be given. Call once per matrix per step.
   */
  public void update(int k, double[] sensP, double[] sensLambda, double[] sensQ) {
    AdapterLayout.Matrix mx = layout.matrix(k);
    check(mx, "P", sensP, ipP[k].length);
    check(mx, "lambda", sensLambda, ipL[k].length);
    check(mx, "Q", sensQ, ipQ[k].length);
    ema(ipP[k], unP[k], sensP);
    ema(ipL[k], unL[k], sensLambda);
    ema(ipQ[k], unQ[k], sensQ);
    updates++;
  }

  private void ema(double[] ip, double[] un, double[] sens) {
    double b1 = beta1, b2 = beta2;
    for (int e = 0; e < ip.length; e++) {
      double i = Math.abs(sens[e]);
      double ibar = b1 * ip[e] + (1 - b1) * i;
      ip[e] = ibar;
      un[e] = b2 * un[e] + (1 - b2) * Math.abs(i - ibar);
    }
  }

  private static void check(AdapterLayout.Matrix mx, String what, double[] a, int expected) {
    if (a == null)
      throw new IllegalArgumentException(
          "adalora importance: matrix '"
              + mx.name()
              + "': "
              + what
              + " sensitivities are required");
    if (a.length != expected) {
      throw new IllegalArgumentException(
          "adalora importance: matrix '"
              + mx.name()
              + "': "
              + what
              + " has "
              + a.length
              + " entries, expected "
              + expected);
    }
    for (int e = 0; e < a.length; e++) {
      if (!Double.isFinite(a[e])) {
        throw new IllegalArgumentException(
            "adalora importance: matrix '" + mx.name() + "': " + what + "[" + e + "] is " + a[e]);
      }
    }
  }

  /**
   * The N triplet scores S_{k,i} in global order (see class doc for the exact formula and summation
   * order).
   */
  public double[] tripletScores() {
    double[] out = new double[layout.totalRank()];
    int g = 0;
    for (int k = 0; k < layout.size(); k++) {
      AdapterLayout.Matrix mx = layout.matrix(k);
      int r = mx.initialRank(), dOut = mx.dOut(), dIn = mx.dIn();
      for (int i = 0; i < r; i++) {
        double sq = 0;
        for (int j = 0; j < dIn; j++) sq += ipQ[k][i * dIn + j] * unQ[k][i * dIn + j];
        double sp = 0;
        for (int j = 0; j < dOut; j++) sp += ipP[k][j * r + i] * unP[k][j * r + i];
        out[g++] = (ipL[k][i] * unL[k][i] + sq / dIn) + sp / dOut;
      }
    }
    return out;
  }

  /** Number of {@link #update} calls so far (matrix updates, not steps). */
  public long updates() {
    return updates;
  }

  /** Clears all EMAs (peft does this after the forced final mask). */
  public void reset() {
    for (double[][] arr : List.of(ipP, ipL, ipQ, unP, unL, unQ))
      for (double[] a : arr) Arrays.fill(a, 0);
    updates = 0;
  }

  /**
   * The snapshot layout (type {@code AIM}, version 1): matrices, updates, then the six EMA arrays
   * per matrix.
   */
  public static final BinaryState.Format SNAPSHOT =
      new BinaryState.Format("AIM", 1, "adalora importance snapshot");

  /** All EMAs, bit-exact. */
  public byte[] snapshotState() {
    int size = 64;
    for (double[][] arr : List.of(ipP, ipL, ipQ, unP, unL, unQ))
      for (double[] a : arr) size += 4 + 8 * a.length;
    BinaryState.Writer w = SNAPSHOT.writer(size).putInt(layout.size()).putLong(updates);
    for (double[][] arr : List.of(ipP, ipL, ipQ, unP, unL, unQ))
      for (double[] a : arr) w.putDoubles(a);
    return w.toBytes();
  }

  /** Restores a {@link #snapshotState()} of an instance with the same layout. */
  public void restoreState(byte[] bytes) {
    BinaryState.Reader r = SNAPSHOT.reader(bytes);
    int matrices = r.getInt();
    long n = r.getLong();
    if (matrices != layout.size()) {
      throw new IllegalArgumentException(
          "adalora importance: snapshot has "
              + matrices
              + " matrices, layout has "
              + layout.size());
    }
    List<double[]> read = new ArrayList<>();
    for (double[][] arr : List.of(ipP, ipL, ipQ, unP, unL, unQ)) {
      for (int k = 0; k < arr.length; k++) {
        double[] v = r.getDoubles();
        if (v == null || v.length != arr[k].length)
          throw new IllegalArgumentException(
              "adalora importance: snapshot array size mismatch at matrix " + k);
        read.add(v);
      }
    }
    r.requireEnd();
    int idx = 0;
    for (double[][] arr : List.of(ipP, ipL, ipQ, unP, unL, unQ))
      for (int k = 0; k < arr.length; k++) arr[k] = read.get(idx++);
    updates = n;
  }
}
