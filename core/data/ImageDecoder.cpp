// JPEG through libjpeg-turbo, PNG through libpng; see ImageDecoder.h for why these two.
#include "data/ImageDecoder.h"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

namespace distillery::data {

namespace {

std::vector<uint8_t> readWholeFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ImageDecodeError(path, std::string("cannot be opened: ") + std::strerror(errno));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw ImageDecodeError(path, "cannot be read");
    return bytes;
}

ImageFormat sniff(const std::vector<uint8_t>& bytes) {
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), png, 8) == 0) return ImageFormat::Png;
    if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return ImageFormat::Jpeg;
    return ImageFormat::Unknown;
}

// ---- JPEG ----------------------------------------------------------------------------------------------------
// libjpeg reports errors through a callback that must not return: it longjmps back to decodeJpeg, which holds no
// object with a destructor between setjmp and the jump (the pixel buffer is its caller's).
struct JpegErrors {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void jpegFail(j_common_ptr info) {
    auto* errors = reinterpret_cast<JpegErrors*>(info->err);
    (*info->err->format_message)(info, errors->message);
    std::longjmp(errors->jump, 1);
}

// Warnings are ignored as PIL ignores them ("extraneous bytes before marker"), except a premature end of the
// data: libjpeg would pad the rest of the image with grey, PIL refuses such a file ("image file is truncated").
void jpegMessage(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) jpegFail(info);
}

// Returns "" or the decoder's message. Fills out (resized here, before setjmp's scope matters).
std::string decodeJpeg(const std::vector<uint8_t>& bytes, const MinimumSize& minimumSize, DecodedImage& out) {
    jpeg_decompress_struct info;
    JpegErrors errors;
    info.err = jpeg_std_error(&errors.manager);
    errors.manager.error_exit = jpegFail;
    errors.manager.emit_message = jpegMessage;
    errors.message[0] = '\0';
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&info);
        return errors.message[0] ? errors.message : "corrupt JPEG data";
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&info);
        return "a CMYK JPEG; convert it to RGB (e.g. `convert FILE -colorspace sRGB FILE`)";
    }
    out.fullWidth = info.image_width;
    out.fullHeight = info.image_height;
    // libjpeg's defaults are PIL's (islow IDCT, fancy upsampling), so full-size pixels equal PIL's.
    info.out_color_space = JCS_RGB;   // grey JPEGs are replicated to three channels by libjpeg itself
    info.scale_num = 8;
    info.scale_denom = 8;
    if (minimumSize) {
        const ImageSize need = minimumSize({out.fullWidth, out.fullHeight});
        // The smallest scale M/8 whose output (libjpeg rounds up) is at least `need` in both directions, among
        // 1/8, 1/4, 1/2 and 1: libjpeg-turbo has SIMD inverse DCTs for these only. The others (3/8, 5/8 …) use
        // its C code and decode slower than the full size (docs/performance.md, "Image-folder loader").
        for (unsigned m : {1u, 2u, 4u, 8u}) {
            const int64_t w = (out.fullWidth * m + 7) / 8, h = (out.fullHeight * m + 7) / 8;
            if (w >= need.width && h >= need.height) {
                info.scale_num = m;
                break;
            }
        }
    }
    jpeg_start_decompress(&info);
    out.width = info.output_width;
    out.height = info.output_height;
    if (info.output_components != 3) {
        jpeg_destroy_decompress(&info);
        return "decodes to " + std::to_string(info.output_components) + " channels, expected 3";
    }
    out.pixels.resize(size_t(out.width * out.height * 3));
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = out.pixels.data() + size_t(info.output_scanline) * size_t(out.width) * 3;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return {};
}

// ---- PNG -----------------------------------------------------------------------------------------------------
struct PngSource {
    const std::vector<uint8_t>* bytes;
    size_t offset;
    char message[256];
};

void pngRead(png_structp png, png_bytep data, png_size_t length) {
    auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
    if (source->offset + length > source->bytes->size()) png_error(png, "unexpected end of file (truncated PNG)");
    std::memcpy(data, source->bytes->data() + source->offset, length);
    source->offset += length;
}

void pngFail(png_structp png, png_const_charp message) {
    auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
    std::snprintf(source->message, sizeof source->message, "%s", message);
    png_longjmp(png, 1);
}

void pngWarn(png_structp, png_const_charp) {}

// The low-level API, not the simplified one: the simplified API composites alpha and converts 16-bit samples
// in linear light, PIL's convert("RGB") drops alpha and keeps the high byte. These transformations are PIL's.
std::string decodePng(const std::vector<uint8_t>& bytes, DecodedImage& out) {
    PngSource source{&bytes, 0, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, pngFail, pngWarn);
    if (!png) return "out of memory";
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        return "out of memory";
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return source.message[0] ? source.message : "corrupt PNG data";
    }
    png_set_read_fn(png, &source, pngRead);
    png_read_info(png, info);
    const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    const int colorType = png_get_color_type(png, info);
    const int bitDepth = png_get_bit_depth(png, info);
    if (bitDepth == 16) png_set_strip_16(png);
    if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colorType == PNG_COLOR_TYPE_GRAY && bitDepth < 8) png_set_expand_gray_1_2_4_to_8(png);
    // Always: a palette or grey image with a tRNS chunk gains an alpha channel while expanding.
    png_set_strip_alpha(png);
    if (colorType == PNG_COLOR_TYPE_GRAY || colorType == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    const int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != size_t(width) * 3) png_error(png, "unsupported PNG pixel layout");
    out.width = out.fullWidth = width;
    out.height = out.fullHeight = height;
    out.pixels.resize(size_t(width) * size_t(height) * 3);
    // Row by row (every pass of an interlaced file): no row-pointer array to outlive a longjmp.
    for (int pass = 0; pass < passes; ++pass)
        for (png_uint_32 y = 0; y < height; ++y)
            png_read_row(png, out.pixels.data() + size_t(y) * size_t(width) * 3, nullptr);
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return {};
}

}  // namespace

ImageFormat sniffImageFormat(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> head(8, 0);
    in.read(reinterpret_cast<char*>(head.data()), 8);
    head.resize(size_t(in.gcount()));
    return sniff(head);
}

DecodedImage decodeImage(const std::string& path, const MinimumSize& minimumSize) {
    const std::vector<uint8_t> bytes = readWholeFile(path);
    DecodedImage out;
    std::string problem;
    switch (sniff(bytes)) {
    case ImageFormat::Jpeg:
        problem = decodeJpeg(bytes, minimumSize, out);
        break;
    case ImageFormat::Png:
        problem = decodePng(bytes, out);
        if (problem.empty() && minimumSize) minimumSize({out.fullWidth, out.fullHeight});   // decoded at full size
        break;
    case ImageFormat::Unknown:
        problem = bytes.empty() ? "the file is empty" : "neither a JPEG nor a PNG file (its first bytes say so)";
        break;
    }
    if (!problem.empty()) throw ImageDecodeError(path, problem);
    if (out.width < 1 || out.height < 1) throw ImageDecodeError(path, "the image has no pixels");
    return out;
}

}  // namespace distillery::data
