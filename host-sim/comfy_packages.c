/* comfy_packages.c — a small table of well-known packs: exact class names
 * first, then the naming conventions the packs use. */
#include "comfy_packages.h"

#include <string.h>

typedef struct pack_class {
    const char *class_type;
    const char *package;
} pack_class;

static const char core[] = "ComfyUI core";
static const char ltxv[] = "ComfyUI-LTXVideo";

static const pack_class exact[] = {
    {"CheckpointLoaderSimple", core}, {"CLIPTextEncode", core}, {"LTXVConditioning", core},
    {"EmptyLTXVLatentVideo", core}, {"LTXVEmptyLatentAudio", core}, {"LTXVConcatAVLatent", core},
    {"LTXVSeparateAVLatent", core}, {"RandomNoise", core}, {"KSamplerSelect", core},
    {"ManualSigmas", core}, {"LTXVScheduler", core}, {"CFGGuider", core}, {"BasicGuider", core},
    {"SamplerCustomAdvanced", core}, {"LTXVLatentUpsampler", core}, {"LatentUpscaleModelLoader", core},
    {"LTXVAudioVAELoader", core}, {"LTXVAudioVAEDecode", core}, {"LTXVImgToVideoInplace", core},
    {"LTXVAddGuide", core}, {"LTXVCropGuides", core}, {"LTXVPreprocess", core},
    {"LoraLoaderModelOnly", core}, {"LoadImage", core}, {"ImageScale", core}, {"ImageScaleBy", core},
    {"GetImageSize", core}, {"EmptyImage", core}, {"CreateVideo", core}, {"SaveVideo", core},
    {"LoadVideo", core}, {"GetVideoComponents", core}, {"VAEEncodeTiled", core}, {"Canny", core},
    {"ImageScaleToMaxDimension", core}, {"PrimitiveInt", core}, {"PrimitiveFloat", core},
    {"PrimitiveBoolean", core}, {"PrimitiveStringMultiline", core},
    {"LowVRAMCheckpointLoader", ltxv}, {"LowVRAMAudioVAELoader", ltxv},
    {"LowVRAMLatentUpscaleModelLoader", ltxv}, {"DWPreprocessor", "comfyui_controlnet_aux"},
    {"DepthCrafter", "ComfyUI-DepthCrafter-Nodes"},
    {"DownloadAndLoadDepthCrafterModel", "ComfyUI-DepthCrafter-Nodes"},
};

typedef struct pack_rule {
    const char *prefix, *suffix;
    const char *package;
} pack_rule;

static const pack_rule rules[] = {
    {"LTXV", NULL, ltxv},          {"LTX", NULL, ltxv},
    {NULL, " (rgthree)", "rgthree-comfy"}, {"Impact", NULL, "ComfyUI-Impact-Pack"},
    {NULL, "KJ", "ComfyUI-KJNodes"}, {"VHS_", NULL, "ComfyUI-VideoHelperSuite"},
    {"CM_", NULL, "ComfyMath"},
};

const char *hs_class_package(const char *c)
{
    if (!c)
        return NULL;
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (!strcmp(c, exact[i].class_type))
            return exact[i].package;
    size_t n = strlen(c);
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        const pack_rule *r = &rules[i];
        if (r->prefix && !strncmp(c, r->prefix, strlen(r->prefix)))
            return r->package;
        if (r->suffix && n >= strlen(r->suffix) && !strcmp(c + n - strlen(r->suffix), r->suffix))
            return r->package;
    }
    return NULL;
}
