package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StatusTest {

    @Test
    void codesAreTheWireValuesAndUnique() {
        assertThat(Arrays.stream(Status.values()).map(Status::code)).doesNotHaveDuplicates();
        for (Status s : Status.values()) {
            assertThat(Status.of(s.code())).isSameAs(s);
            assertThat(s.code()).isBetween(0, 255);
        }
        // The wire values are part of the protocol: changing one breaks every deployed client.
        assertThat(Status.OK.code()).isZero();
        assertThat(Status.DEFERRED.code()).isEqualTo(1);
        assertThat(Status.STORE_FULL.code()).isEqualTo(4);
        assertThat(Status.PROTOCOL_ERROR.code()).isEqualTo(10);
    }

    @Test
    void onlyOkAndDeferredAreSuccesses() {
        EnumSet<Status> successes = EnumSet.noneOf(Status.class);
        for (Status s : Status.values()) {
            if (s.isSuccess()) {
                successes.add(s);
            }
        }
        assertThat(successes).containsExactlyInAnyOrder(Status.OK, Status.DEFERRED);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 11, 12, 127, 128, 255, 256, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void unknownCodesAreMalformed(int code) {
        assertThatThrownBy(() -> Status.of(code)).isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining(String.valueOf(code));
    }
}
