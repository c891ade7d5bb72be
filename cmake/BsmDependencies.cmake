# Third-party libraries, all from Debian 12 packages (deploy/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(RocksDB REQUIRED)
find_package(CURL REQUIRED)
# The command lines of bsmd and bsmctl (header-only).
find_package(CLI11 2 REQUIRED)
# Beast and Asio are header-only (Boost.System too, since 1.69).
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 3 REQUIRED)

# CAF 0.17.6 ships no CMake package in Debian: import its libraries by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(component core io openssl)
  find_library(CAF_${component}_LIBRARY caf_${component} REQUIRED)
  add_library(CAF::${component} SHARED IMPORTED)
  set_target_properties(CAF::${component} PROPERTIES
    IMPORTED_LOCATION "${CAF_${component}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endforeach()
set_property(TARGET CAF::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::core)
# caf_openssl: TLS sessions for the cluster port (mutual TLS between nodes).
set_property(TARGET CAF::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES
  CAF::io OpenSSL::SSL)

# tcmalloc (gperftools) for the daemon and the benchmarks: protobuf keeps
# every string field behind its own heap allocation, often freed on another
# core than the one that made it; glibc's malloc is slow at exactly that.
option(BSM_USE_TCMALLOC "Link bsmd and the benchmarks with tcmalloc" ON)
add_library(bsm_allocator INTERFACE)
add_library(bsm::allocator ALIAS bsm_allocator)
if(BSM_USE_TCMALLOC)
  find_library(TCMALLOC_LIBRARY tcmalloc_minimal REQUIRED)
  target_link_libraries(bsm_allocator INTERFACE "${TCMALLOC_LIBRARY}")
endif()

# hiredis (the Redis membership table). Its pkg-config file puts hiredis/
# itself on the include path, where read.h and sds.h would shadow other
# headers; import it by hand so sources write <hiredis/hiredis.h>.
find_path(HIREDIS_INCLUDE_DIR hiredis/hiredis.h REQUIRED)
find_library(HIREDIS_LIBRARY hiredis REQUIRED)
add_library(hiredis::hiredis UNKNOWN IMPORTED)
set_target_properties(hiredis::hiredis PROPERTIES
  IMPORTED_LOCATION "${HIREDIS_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${HIREDIS_INCLUDE_DIR}")
