#include "reference/buffer.hpp"

#include <cstdlib>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace moefit::reference {

void FreeBuffer::operator()(std::uint8_t* p) const {
    std::free(p);
}

Buffer allocate_buffer(std::size_t bytes) {
    constexpr std::size_t kHuge = 2u << 20;
    void* p = nullptr;
    if (bytes >= kHuge) {
        const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;  // aligned_alloc wants a multiple
        p = std::aligned_alloc(kHuge, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        // A hint only: without transparent huge pages the call fails and 4 KiB pages serve.
        if (p != nullptr) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    } else {
        p = std::malloc(bytes == 0 ? 1 : bytes);
    }
    if (p == nullptr) throw std::bad_alloc();
    return Buffer(static_cast<std::uint8_t*>(p));
}

}  // namespace moefit::reference
