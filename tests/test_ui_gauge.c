/* test_ui_gauge.c: sparkline, context gauge and the sample ring
 * (ui/gauge.c). */
#include "config.h"

#include <string.h>

#include "gauge.h"
#include "tap.h"
#include "uwidth.h"

int
main(void)
{
    char buf[256];
    double v[64], ramp[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    gauge_ring r;
    int good = 1;

    ok(gauge_sparkline(ramp, 8, 8, buf, sizeof buf) == 8, "one column per value");
    is_str(buf, "\xe2\x96\x81\xe2\x96\x82\xe2\x96\x83\xe2\x96\x84\xe2\x96\x85\xe2\x96\x86\xe2\x96\x87\xe2\x96\x88",
           "a ramp is the eight block heights");
    gauge_sparkline(ramp, 8, 3, buf, sizeof buf);
    is_str(buf, "\xe2\x96\x86\xe2\x96\x87\xe2\x96\x88", "a narrow line shows the newest values, scaled to them");
    {
        double z[3] = { 0, 4, -1 };

        gauge_sparkline(z, 3, 10, buf, sizeof buf);
        is_str(buf, " \xe2\x96\x88 ", "zero and negative values are blank");
    }
    ok(gauge_sparkline(ramp, 0, 5, buf, sizeof buf) == 0 && buf[0] == '\0', "no values, no line");
    ok(gauge_sparkline(ramp, 8, 8, buf, 10) <= 3 && strlen(buf) < 10, "a small buffer is not overrun");

    ok(gauge_bar(0, 100, 4, buf, sizeof buf) == GAUGE_OK, "an empty context is fine");
    is_str(buf, "\xe2\x96\x91\xe2\x96\x91\xe2\x96\x91\xe2\x96\x91", "an empty bar is light shade");
    gauge_bar(50, 100, 4, buf, sizeof buf);
    is_str(buf, "\xe2\x96\x88\xe2\x96\x88\xe2\x96\x91\xe2\x96\x91", "half full");
    gauge_bar(1, 16, 2, buf, sizeof buf);
    is_str(buf, "\xe2\x96\x8f\xe2\x96\x91", "an eighth of a cell");
    gauge_bar(3, 8, 1, buf, sizeof buf);
    is_str(buf, "\xe2\x96\x8d", "three eighths");
    ok(gauge_bar(79, 100, 10, buf, sizeof buf) == GAUGE_OK, "79%% is fine");
    ok(gauge_bar(80, 100, 10, buf, sizeof buf) == GAUGE_WARN, "80%% warns");
    ok(gauge_bar(95, 100, 10, buf, sizeof buf) == GAUGE_FULL, "95%% is nearly full");
    ok(gauge_bar(500, 100, 10, buf, sizeof buf) == GAUGE_FULL && uwidth_str(buf, strlen(buf)) == 10,
       "overfull is clamped to the width");
    ok(gauge_bar(5, 0, 3, buf, sizeof buf) == GAUGE_OK && uwidth_str(buf, strlen(buf)) == 3,
       "an unknown context size draws an empty bar");

    memset(&r, 0, sizeof r);
    ok(gauge_ring_get(&r, v) == 0, "an empty ring");
    for (int i = 1; i <= 70; i++)
        gauge_ring_push(&r, i);
    ok(gauge_ring_get(&r, v) == 64, "the ring keeps 64 samples");
    for (int i = 0; i < 64; i++)
        if (v[i] != 7 + i)
            good = 0;
    ok(good, "oldest first, the oldest dropped");
    return done_testing();
}
