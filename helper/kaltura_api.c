/* placeholder: being written */
typedef int kc_placeholder_kaltura_api;
