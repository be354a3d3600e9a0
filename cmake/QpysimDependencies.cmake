# Find the system libraries qpysim builds on, and name the Debian package of any
# that is missing instead of failing deep inside a find module.
function(qpysim_require name package)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR
      "qpysim needs ${name}, which was not found.\n"
      "On Debian/Ubuntu: sudo apt-get install ${package}\n"
      "(or run scripts/setup.sh, which installs everything qpysim needs)")
  endif()
endfunction()

find_package(Boost 1.71 QUIET)
qpysim_require(Boost libboost-dev)
find_package(spdlog QUIET CONFIG)
qpysim_require(spdlog libspdlog-dev)
find_package(yaml-cpp QUIET CONFIG)
qpysim_require(yaml-cpp libyaml-cpp-dev)
find_package(OpenSSL 1.1.1 QUIET)
qpysim_require(OpenSSL libssl-dev)
find_package(CLI11 QUIET CONFIG)
qpysim_require(CLI11 libcli11-dev)
find_package(Threads REQUIRED)
if(QPYSIM_TESTS)
  find_package(GTest QUIET CONFIG)
  qpysim_require(GTest libgtest-dev)
endif()
