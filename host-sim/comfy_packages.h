/* comfy_packages.h — which ComfyUI package provides a node class, for the
 * "unknown class" error of a workflow that needs nodes host-sim lacks. */
#ifndef HS_COMFY_PACKAGES_H
#define HS_COMFY_PACKAGES_H

/* The package name ("ComfyUI core", "ComfyUI-LTXVideo", "rgthree-comfy", ...) or NULL. */
const char *hs_class_package(const char *class_type);

#endif
