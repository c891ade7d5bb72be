# Compiler settings every BSM target links PRIVATE (like CAF::internal).
add_library(bsm_internal INTERFACE)
add_library(bsm::internal ALIAS bsm_internal)
target_compile_features(bsm_internal INTERFACE cxx_std_17)
target_compile_options(bsm_internal INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wformat=2)
if(BSM_WARNINGS_AS_ERRORS)
  target_compile_options(bsm_internal INTERFACE -Werror)
endif()
target_compile_definitions(bsm_internal INTERFACE
  BSM_VERSION="${PROJECT_VERSION}")

# Line and branch coverage (`make coverage`): every target links this one,
# so all of them get instrumented. -O0 keeps the counters true to the source.
if(BSM_COVERAGE)
  target_compile_options(bsm_internal INTERFACE --coverage -O0)
  target_link_options(bsm_internal INTERFACE --coverage)
endif()
