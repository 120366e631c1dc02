// C shim over libhdf5 for the HDF5 Swift module.
//
// libhdf5's predefined identifiers (H5T_NATIVE_FLOAT, H5P_FILE_ACCESS, ...) are macros over
// globals that H5open() initializes, and H5P_DEFAULT and friends are untyped integer macros.
// Swift sees neither, so each one used is exposed here as a static inline function of the
// right type. Only the names the Swift module uses are listed.

#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H

#include <hdf5.h>

// Property lists, dataspaces and error stacks.
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_link_access(void) { return H5P_LINK_ACCESS; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }
static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t chdf5_t_variable(void) { return H5T_VARIABLE; }

// Predefined datatypes.
static inline hid_t chdf5_t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t chdf5_t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_t_c_s1(void) { return H5T_C_S1; }

// An external link traversal callback that always refuses, so that reading a file never opens another one.
static inline herr_t chdf5_refuse_external_link(
    const char *parent_file_name, const char *parent_group_name, const char *child_file_name,
    const char *child_object_name, unsigned *acc_flags, hid_t fapl_id, void *op_data) {
    (void)parent_file_name;
    (void)parent_group_name;
    (void)child_file_name;
    (void)child_object_name;
    (void)acc_flags;
    (void)fapl_id;
    (void)op_data;
    return -1;
}

// Creates a link access property list that refuses to traverse external links, or returns a negative id.
static inline hid_t chdf5_create_link_access_without_external_links(void) {
    hid_t lapl = H5Pcreate(H5P_LINK_ACCESS);
    if (lapl < 0) {
        return lapl;
    }
    if (H5Pset_elink_cb(lapl, chdf5_refuse_external_link, NULL) < 0) {
        H5Pclose(lapl);
        return -1;
    }
    return lapl;
}

#endif  // CHDF5_SHIM_H
