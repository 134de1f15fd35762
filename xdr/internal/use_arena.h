// Binding pmr containers of an arena-placed message to the arena.
//
// A pmr container's resource is fixed at construction and is NOT transferred by move
// assignment between different resources (the elements are moved one by one into the old
// resource instead). So containers of an arena message are constructed with the arena, never
// assigned.
#ifndef UXCOM_XDR_INTERNAL_USE_ARENA_H_
#define UXCOM_XDR_INTERNAL_USE_ARENA_H_

#include <memory>

#include "xdr/arena.h"

namespace uxcom::xdr::internal {

// Re-creates a default-constructed (empty, never allocated) pmr container on `arena`.
template <typename Container>
void UseArena(Container& c, Arena& arena) {
  std::destroy_at(&c);
  std::construct_at(&c, &arena);
}

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_USE_ARENA_H_
