# Finds kiln's dependencies from the Debian packages that scripts/setup.sh installs.
include(GNUInstallDirs)

find_package(TBB REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
# zlib inflates the gzip'd IDX files of the datasets (Debian's dataset-fashion-mnist ships them gzip'd).
find_package(ZLIB REQUIRED)

# Debian's libopenblas-dev ships a CMake config that sets variables but no target: wrap it in one.
find_package(OpenBLAS CONFIG REQUIRED)
if(NOT TARGET kiln_openblas)
  add_library(kiln_openblas INTERFACE IMPORTED)
  target_include_directories(kiln_openblas INTERFACE ${OpenBLAS_INCLUDE_DIRS})
  target_link_libraries(kiln_openblas INTERFACE ${OpenBLAS_LIBRARIES})
endif()

# Model files: Keras keeps weights in HDF5 (.weights.h5, legacy .h5) and wraps a model in a zip (.keras).
# The HDF5 C library is the reference reader for those files; libzip reads and writes the archive.
# Both through pkg-config: FindHDF5 needs the C language enabled, and Debian's libzip CMake config refers to the
# zipcmp/zipmerge tools of another package (libzip-tools) and fails without them.
find_package(PkgConfig REQUIRED)
pkg_check_modules(kiln_hdf5 REQUIRED IMPORTED_TARGET hdf5)
pkg_check_modules(kiln_libzip REQUIRED IMPORTED_TARGET libzip)
