/* spec_verify.c: the residual distribution of speculative sampling. When
 * the target rejects a proposal x (accepted with probability
 * min(1, p(x)/q(x))), the token is drawn from norm(max(0, p - q)), the mass
 * the target has and the proposer over-used nothing of; together the two
 * steps give exactly p. The subtraction is per token id (not per rank). */
#include "config.h"

#include <stdint.h>

#include "spec_int.h"

double
spec_residual(const float *p, int np, const float *q, int nq, int32_t onehot, float *r)
{
    double sum = 0.0;
    int j;

    for (j = 0; j < np; j++) {
        float qj = 0.0f, d;

        if (q != NULL)
            qj = j < nq ? q[j] : 0.0f;
        else if (j == onehot)
            qj = 1.0f;
        d = p[j] - qj;
        r[j] = d > 0.0f ? d : 0.0f;
        sum += (double)r[j];
    }
    return sum;
}
