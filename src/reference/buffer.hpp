// Large buffers for the reference pass and for the read probe that it is compared with, both
// allocated the same way, so the bandwidth the pass reaches is measured against a read of the same
// kind of memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace moefit::reference {

// Frees what allocate_buffer returned.
struct FreeBuffer {
    void operator()(std::uint8_t* p) const;
};
using Buffer = std::unique_ptr<std::uint8_t[], FreeBuffer>;

// `bytes` of uninitialised memory. Buffers of 2 MiB or more start on a 2 MiB boundary and ask
// Linux for transparent huge pages: a decode step reads scattered expert slices, and with 4 KiB
// pages every 4 KiB of them costs a TLB miss and a restart of the hardware prefetchers (measured on
// a 2-core Xeon VM with THP in "madvise" mode: a 1 GiB read 22 GB/s on 4 KiB pages, 27 GB/s on
// huge pages). Throws std::bad_alloc when memory runs out.
Buffer allocate_buffer(std::size_t bytes);

}  // namespace moefit::reference
