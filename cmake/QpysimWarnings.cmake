# Warnings and sanitizers applied to every qpysim target.
add_library(qpysim_options INTERFACE)
add_library(qpysim::options ALIAS qpysim_options)

if(MSVC)
  target_compile_options(qpysim_options INTERFACE /W4 /permissive-)
  if(QPYSIM_WERROR)
    target_compile_options(qpysim_options INTERFACE /WX)
  endif()
else()
  target_compile_options(qpysim_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(QPYSIM_WERROR)
    target_compile_options(qpysim_options INTERFACE -Werror)
  endif()
endif()

if(QPYSIM_SANITIZE)
  string(REPLACE ";" "," _qpysim_san "${QPYSIM_SANITIZE}")
  target_compile_options(qpysim_options INTERFACE -fsanitize=${_qpysim_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(qpysim_options INTERFACE -fsanitize=${_qpysim_san})
  if("thread" IN_LIST QPYSIM_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # gcc warns that TSan does not model Asio's atomic_thread_fence (-Wtsan).
    target_compile_options(qpysim_options INTERFACE -Wno-tsan)
  endif()
endif()

if(QPYSIM_FUZZ)
  # Coverage feedback for libFuzzer in everything the fuzz targets link.
  target_compile_options(qpysim_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

if(WIN32)
  # Asio on Windows: target Windows 10 and keep <windows.h> lean.
  target_compile_definitions(qpysim_options INTERFACE _WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX)
endif()
