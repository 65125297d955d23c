// spm_shim.cc — extern "C" wrapper over sentencepiece::SentencePieceProcessor.
// No exception may cross into C: every entry point catches.
#include "spm_shim.h"
#include "store/regular_file.h"

#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct ltx2_spm {
    sentencepiece::SentencePieceProcessor proc;
};

// Largest tokenizer model read (Gemma 3's is under 5 MB): a checkpoint or /dev/zero
// given by mistake is refused instead of filling memory.
static const size_t kMaxModelBytes = (size_t)256 << 20;

static void set_msg(char *msg, size_t size, const std::string &text)
{
    if (msg && size > 0) std::snprintf(msg, size, "%s", text.c_str());
}

extern "C" ltx2_spm *ltx2_spm_load(const char *path, char *msg, size_t msg_size)
{
    try {
        size_t len = 0;
        char *bytes = ltx2_read_regular(path ? path : "", kMaxModelBytes, &len, msg, msg_size);
        if (!bytes) return nullptr;
        std::string data;
        try {
            data.assign(bytes, len);
        } catch (...) {
            std::free(bytes);
            throw;
        }
        std::free(bytes);
        ltx2_spm *spm = new ltx2_spm();
        const auto status = spm->proc.LoadFromSerializedProto(data);
        if (!status.ok()) {
            set_msg(msg, msg_size, status.ToString());
            delete spm;
            return nullptr;
        }
        return spm;
    } catch (const std::exception &e) {
        set_msg(msg, msg_size, e.what());
    } catch (...) {
        set_msg(msg, msg_size, "unknown sentencepiece failure");
    }
    return nullptr;
}

extern "C" void ltx2_spm_free(ltx2_spm *spm) { delete spm; }

extern "C" int32_t ltx2_spm_vocab_size(const ltx2_spm *spm) { return spm->proc.GetPieceSize(); }
extern "C" int32_t ltx2_spm_bos_id(const ltx2_spm *spm) { return spm->proc.bos_id(); }
extern "C" int32_t ltx2_spm_pad_id(const ltx2_spm *spm) { return spm->proc.pad_id(); }

extern "C" int ltx2_spm_encode(const ltx2_spm *spm, const char *text, size_t len, int32_t **out_ids,
                               size_t *out_n, char *msg, size_t msg_size)
{
    *out_ids = nullptr;
    *out_n = 0;
    try {
        std::vector<int> ids;
        const auto status = spm->proc.Encode(std::string(text ? text : "", text ? len : 0), &ids);
        if (!status.ok()) {
            set_msg(msg, msg_size, status.ToString());
            return -1;
        }
        if (ids.empty()) return 0;
        int32_t *buf = static_cast<int32_t *>(std::malloc(ids.size() * sizeof(int32_t)));
        if (!buf) {
            set_msg(msg, msg_size, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < ids.size(); ++i) buf[i] = ids[i];
        *out_ids = buf;
        *out_n = ids.size();
        return 0;
    } catch (const std::exception &e) {
        set_msg(msg, msg_size, e.what());
    } catch (...) {
        set_msg(msg, msg_size, "unknown sentencepiece failure");
    }
    return -1;
}

extern "C" int32_t ltx2_spm_eos_id(const ltx2_spm *spm) { return spm->proc.eos_id(); }

extern "C" int32_t ltx2_spm_piece_id(const ltx2_spm *spm, const char *piece)
{
    try {
        const int id = spm->proc.PieceToId(piece ? piece : "");
        // Unknown pieces map to the unk id: only an exact round trip counts.
        if (id < 0 || id >= spm->proc.GetPieceSize() || spm->proc.IdToPiece(id) != piece) return -1;
        return id;
    } catch (...) {
        return -1;
    }
}

extern "C" char *ltx2_spm_decode(const ltx2_spm *spm, const int32_t *ids, size_t n, const int32_t *skip,
                                 size_t n_skip, char *msg, size_t msg_size)
{
    try {
        std::vector<int> keep;
        keep.reserve(n);
        const int size = spm->proc.GetPieceSize();
        for (size_t i = 0; i < n; ++i) {
            const int id = ids[i];
            bool drop = id < 0 || id >= size || spm->proc.IsControl(id);
            for (size_t j = 0; j < n_skip && !drop; ++j) drop = skip[j] == id;
            if (!drop) keep.push_back(id);
        }
        std::string text;
        const auto status = spm->proc.Decode(keep, &text);
        if (!status.ok()) {
            set_msg(msg, msg_size, status.ToString());
            return nullptr;
        }
        char *out = static_cast<char *>(std::malloc(text.size() + 1));
        if (!out) {
            set_msg(msg, msg_size, "out of memory");
            return nullptr;
        }
        std::memcpy(out, text.data(), text.size());
        out[text.size()] = '\0';
        return out;
    } catch (const std::exception &e) {
        set_msg(msg, msg_size, e.what());
    } catch (...) {
        set_msg(msg, msg_size, "unknown sentencepiece failure");
    }
    return nullptr;
}
