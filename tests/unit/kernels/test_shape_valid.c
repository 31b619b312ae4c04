/*
 * shape_valid: the bound every size computed from model-declared or
 * client-sent dims relies on. Products are checked before they are formed
 * (the fuzzer found 2^32 * 2^31 overflowing an int64).
 */
#include "check.h"
#include "tensor.h"

static bool valid(int rank, const int64_t *dims, int64_t *numel)
{
    *numel = -1;
    return shape_valid(rank, dims, numel);
}

int main(void)
{
    const int64_t max = TENSOR_MAX_ELEMENTS;
    const int64_t scalar[1] = {0}, small[3] = {2, 3, 4}, limit[2] = {max, 1};
    const int64_t over[2] = {max, 2}, overflow[2] = {max, INT64_C(1) << 31};
    const int64_t huge_empty[3] = {0, max, max}, empty_last[3] = {max, max, 0};
    const int64_t bounded_empty[3] = {max, 0, 1}, negative[2] = {2, -1}, big_dim[1] = {max + 1};
    int64_t numel;

    CHECK(valid(0, scalar, &numel) && numel == 1);
    CHECK(valid(3, small, &numel) && numel == 24);
    CHECK(valid(2, limit, &numel) && numel == max);
    CHECK(!valid(2, over, &numel));
    CHECK(!valid(2, overflow, &numel));
    /* Empty, but its other dims multiply past the limit: refused wherever the zero is. */
    CHECK(!valid(3, huge_empty, &numel));
    CHECK(!valid(3, empty_last, &numel));
    CHECK(valid(3, bounded_empty, &numel) && numel == 0);
    CHECK(!valid(2, negative, &numel));
    CHECK(!valid(1, big_dim, &numel));
    CHECK(!valid(TENSOR_MAX_RANK + 1, small, &numel));
    CHECK(!valid(-1, small, &numel));
    CHECK_DONE();
}
