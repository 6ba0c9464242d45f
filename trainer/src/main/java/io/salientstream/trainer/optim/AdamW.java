package io.salientstream.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) over raw NDArrays, updated in place.
 * Written here rather than using DJL's {@code Adam} because checkpoint/resume needs the moments and
 * the step count, which DJL keeps private.
 */
public final class AdamW {

  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final List<NDArray> m = new ArrayList<>();
  private final List<NDArray> v = new ArrayList<>();
  private long t;

  public AdamW(
      NDManager home,
      List<NDArray> params,
      float beta1,
      float beta2,
      float eps,
      float weightDecay) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    for (NDArray p : params) {
      m.add(home.zeros(p.getShape()));
      v.add(home.zeros(p.getShape()));
    }
  }

  /**
   * Moment arrays (first moments then second moments), e.g. to checkpoint or to move between
   * managers.
   */
  public List<NDArray> state() {
    List<NDArray> all = new ArrayList<>(m);
    all.addAll(v);
    return all;
  }

  public long stepCount() {
    return t;
  }

  public void setStepCount(long t) {
    this.t = t;
  }

  /** One update of every parameter with its gradient (already clipped) and learning rate lr. */
  public void step(List<NDArray> params, List<NDArray> grads, float lr) {
    t++;
    float bc1 = (float) (1 - Math.pow(beta1, t));
    float bc2 = (float) (1 - Math.pow(beta2, t));
    for (int i = 0; i < params.size(); i++) {
      NDArray p = params.get(i);
      NDArray g = grads.get(i);
      NDArray mi = m.get(i);
      NDArray vi = v.get(i);
      mi.muli(beta1).addi(g.mul(1 - beta1));
      vi.muli(beta2).addi(g.square().muli(1 - beta2));
      NDArray update = mi.div(bc1).div(vi.div(bc2).sqrt().add(eps));
      if (weightDecay > 0) {
        update.addi(p.mul(weightDecay));
      }
      p.subi(update.muli(lr));
    }
  }
}
