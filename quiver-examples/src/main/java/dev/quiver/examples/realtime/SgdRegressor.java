package dev.quiver.examples.realtime;

/**
 * Online linear regression by stochastic gradient descent, with the semantics of scikit-learn's
 * {@code SGDRegressor()} defaults under {@code partial_fit}: squared loss, L2 penalty with alpha = 1e-4, learning rate
 * "invscaling" eta = eta0 / t^0.25 with eta0 = 0.01, where t counts the samples seen, starting at 1. For each sample,
 * in order: the weights shrink by (1 - eta * alpha), then move by -eta * (prediction - y) times the sample; the
 * intercept moves by the same step (it is not penalised). Samples are taken in the order given (scikit-learn
 * shuffles within each partial_fit call; order within a batch is the only difference).
 */
final class SgdRegressor {
    static final double ALPHA = 1e-4;
    static final double ETA0 = 0.01;
    static final double POWER_T = 0.25;

    private double weight;
    private double intercept;
    private double t = 1;

    /** One step on one sample. */
    void learn(double x, double y) {
        double eta = ETA0 / Math.pow(t, POWER_T);
        double gradient = weight * x + intercept - y;
        double update = -eta * gradient;
        weight *= Math.max(0, 1 - eta * ALPHA);
        weight += update * x;
        intercept += update;
        t++;
    }

    double weight() {
        return weight;
    }

    double intercept() {
        return intercept;
    }

    long samples() {
        return (long) t - 1;
    }
}
