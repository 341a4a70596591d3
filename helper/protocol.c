/* placeholder: being written */
typedef int kc_placeholder_protocol;
